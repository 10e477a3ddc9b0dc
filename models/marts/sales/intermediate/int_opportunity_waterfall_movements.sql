{#- Each opportunity's movement through the open pipeline in each month it
    was open at some time (KPI H2), from its history (fct_opportunity_history,
    back-filled to the deal's creation: the first state is taken as held from
    creation; nothing before it). A deal whose first known state is already
    closed (an export that shows deals only as they ended: Olist, X
    Education, a first load of an old CRM) was open from its creation to the
    close the export gives (closed_at; zero-length when both are the same
    instant), at the first state's amount with no known expected close
    date; without a closed_at, or with one before the creation, it was
    never seen open and moves nothing. The state at the start of the month is the
    one in force just before its first instant (the previous month end), the
    state at the end the one in force just before the day after the month's
    balance date (the month end; the as-of date for the month in progress).
    A deal open at neither end but open in between was created (or
    re-opened) and closed within the month. A deal that left the pipeline
    closed in a stage the stages seed does not map (the export's closed_at
    set), or whose history ended (deleted), left it with an unknown outcome
    (exited_unknown). Amounts are the reporting
    currency; a deal without an amount adds 0. An amount change is one of a
    deal open at the start whose amount is known at both ends (the end, or
    its close); an amount unknown at the start and known at the end became
    known, one known at the start and unknown at the end became unknown
    (an unknown amount is not 0, so neither is an increase or a decrease);
    unknown at both ends, the deal moves no amount. -#}
with history as (
    select * from {{ ref('fct_opportunity_history') }}
),

months as (
    select * from {{ ref('int_months') }}
),

month_bounds as (
    select
        month_start_date,
        month_end_date,
        balance_date,
        cast(month_start_date as timestamp) as start_at,
        cast({{ dbt.dateadd('day', 1, 'balance_date') }} as timestamp) as end_at
    from months
),

-- the history from the deal's creation (nothing before it)
known as (
    select
        opportunity_id,
        history_number,
        is_open,
        is_closed,
        is_won,
        amount,
        expected_close_date,
        closed_at,
        created_at,
        valid_from_at,
        valid_to_at,
        -- first seen closed, with a close after its creation: open until then
        history_number = 1 and not is_open and closed_at >= created_at as is_first_seen_closed
    from history
    where valid_to_at is null or valid_to_at > created_at
),

states as (
    select
        opportunity_id,
        history_number as state_order,
        is_open,
        is_closed,
        is_won,
        amount,
        expected_close_date,
        created_at,
        case
            when is_first_seen_closed then least(closed_at, coalesce(valid_to_at, closed_at))
            when history_number = 1 or valid_from_at < created_at then created_at
            else valid_from_at
        end as valid_from_at,
        valid_to_at
    from known
    union all
    -- the open time before a close the export shows as the first state
    select
        opportunity_id,
        0 as state_order,
        true as is_open,
        false as is_closed,
        false as is_won,
        amount,
        cast(null as date) as expected_close_date,
        created_at,
        created_at as valid_from_at,
        least(closed_at, coalesce(valid_to_at, closed_at)) as valid_to_at
    from known
    where is_first_seen_closed
),

bounded as (
    select
        opportunity_id,
        state_order,
        is_open,
        is_closed,
        is_won,
        coalesce(amount, 0) as amount,
        amount is null as is_amount_unknown,
        expected_close_date,
        created_at,
        valid_from_at,
        valid_to_at
    from states
),

-- the months each deal was open in at some instant
opportunity_months as (
    select distinct
        bounded.opportunity_id,
        bounded.created_at,
        month_bounds.month_start_date,
        month_bounds.month_end_date,
        month_bounds.balance_date,
        month_bounds.start_at,
        month_bounds.end_at
    from bounded
    inner join month_bounds
        on
            bounded.valid_from_at < month_bounds.end_at
            and (bounded.valid_to_at is null or bounded.valid_to_at >= month_bounds.start_at)
    where bounded.is_open
),

-- the state just before the month's first instant (none before creation)
at_start as (
    select
        opportunity_months.opportunity_id,
        opportunity_months.month_start_date,
        bounded.is_open,
        bounded.amount,
        bounded.is_amount_unknown,
        bounded.expected_close_date
    from opportunity_months
    inner join bounded
        on
            opportunity_months.opportunity_id = bounded.opportunity_id
            and opportunity_months.start_at > bounded.valid_from_at
            and (bounded.valid_to_at is null or opportunity_months.start_at <= bounded.valid_to_at)
),

-- the latest state begun by the end of the month, and whether it still holds then
latest_states as (
    select
        opportunity_months.opportunity_id,
        opportunity_months.month_start_date,
        bounded.is_open,
        bounded.is_closed,
        bounded.is_won,
        bounded.amount,
        bounded.is_amount_unknown,
        bounded.expected_close_date,
        bounded.valid_to_at is null or bounded.valid_to_at >= opportunity_months.end_at as holds_at_end,
        row_number() over (
            partition by opportunity_months.opportunity_id, opportunity_months.month_start_date
            order by bounded.valid_from_at desc, bounded.state_order desc
        ) as recency
    from opportunity_months
    inner join bounded
        on
            opportunity_months.opportunity_id = bounded.opportunity_id
            and opportunity_months.end_at > bounded.valid_from_at
),

at_end as (
    select * from latest_states
    where recency = 1
),

compared as (
    select
        opportunity_months.opportunity_id,
        opportunity_months.month_start_date,
        opportunity_months.month_end_date,
        opportunity_months.balance_date,
        coalesce(at_start.is_open, false) as is_open_at_start,
        at_end.holds_at_end and at_end.is_open as is_open_at_end,
        opportunity_months.created_at >= opportunity_months.start_at as is_created_in_month,
        at_end.holds_at_end as is_held_at_end,
        at_end.is_won as is_won_at_end,
        at_end.is_closed as is_closed_at_end,
        case when at_start.is_open then at_start.amount else 0 end as opening_amount,
        at_end.amount as latest_amount,
        coalesce(at_start.is_open and at_start.is_amount_unknown, false) as is_opening_amount_unknown,
        at_end.is_amount_unknown as is_latest_amount_unknown,
        at_start.expected_close_date as start_expected_close_date,
        at_end.expected_close_date as end_expected_close_date
    from opportunity_months
    left join at_start
        on
            opportunity_months.opportunity_id = at_start.opportunity_id
            and opportunity_months.month_start_date = at_start.month_start_date
    inner join at_end
        on
            opportunity_months.opportunity_id = at_end.opportunity_id
            and opportunity_months.month_start_date = at_end.month_start_date
),

classified as (
    select
        *,
        case
            when is_open_at_start then 'open'
            when is_created_in_month then 'created'
            else 'reopened'
        end as entry_kind,
        case
            when is_open_at_end then 'open'
            when is_held_at_end and is_won_at_end then 'won'
            when is_held_at_end and is_closed_at_end then 'lost'
            -- closed in an unmapped stage, or no state any more (deleted)
            else 'exited_unknown'
        end as exit_kind,
        -- the amount of a deal open at the start, known at neither, one or both ends
        is_open_at_start and not is_opening_amount_unknown and not is_latest_amount_unknown
            as is_amount_known_at_both_ends,
        is_open_at_start and is_opening_amount_unknown and not is_latest_amount_unknown as is_amount_became_known,
        is_open_at_start and not is_opening_amount_unknown and is_latest_amount_unknown as is_amount_became_unknown
    from compared
),

final as (
    select
        opportunity_id,
        month_start_date,
        month_end_date,
        balance_date,
        entry_kind,
        exit_kind,
        cast(opening_amount as decimal(18, 2)) as opening_amount,
        cast(case when entry_kind != 'open' then latest_amount else 0 end as decimal(18, 2)) as entered_amount,
        -- amount change of a deal open at the start, up to its close when it closed, known at both ends
        cast(case when is_amount_known_at_both_ends then latest_amount - opening_amount else 0 end as decimal(18, 2))
            as amount_change,
        cast(case when is_amount_became_known then latest_amount else 0 end as decimal(18, 2)) as amount_became_known,
        cast(case when is_amount_became_unknown then opening_amount else 0 end as decimal(18, 2))
            as amount_became_unknown,
        cast(case when exit_kind != 'open' then latest_amount else 0 end as decimal(18, 2)) as exited_amount,
        cast(case when exit_kind = 'open' then latest_amount else 0 end as decimal(18, 2)) as closing_amount,
        is_opening_amount_unknown,
        entry_kind != 'open' and is_latest_amount_unknown as is_entered_amount_unknown,
        exit_kind != 'open' and is_latest_amount_unknown as is_exited_amount_unknown,
        exit_kind = 'open' and is_latest_amount_unknown as is_closing_amount_unknown,
        is_amount_became_known,
        is_amount_became_unknown,
        coalesce(
            entry_kind = 'open' and exit_kind = 'open'
            and start_expected_close_date > month_end_date and end_expected_close_date <= month_end_date,
            false
        ) as is_pulled_in,
        coalesce(
            entry_kind = 'open' and exit_kind = 'open'
            and start_expected_close_date <= month_end_date and end_expected_close_date > month_end_date,
            false
        ) as is_pushed_out
    from classified
)

select * from final
