{#- A lead submitted at most `duplicate_submission_minutes` after the previous
    submission of the same form by the same email is a duplicate; chains of
    duplicates resolve to their first lead. -#}
{%- set window_minutes = var('duplicate_submission_minutes', 10) -%}

with leads as (
    select
        lead_id,
        email,
        form_id,
        submitted_at
    from {{ ref('int_leads_mapped') }}
),

sequenced as (
    select
        lead_id,
        email,
        form_id,
        submitted_at,
        case
            when email is not null and form_id is not null and submitted_at is not null
                then lag(submitted_at) over (
                    partition by email, form_id
                    order by submitted_at, lead_id
                )
        end as previous_submitted_at
    from leads
),

flagged as (
    select
        *,
        cast(
            {{ dbt.datediff('previous_submitted_at', 'submitted_at', 'minute') | trim }} as integer
        ) as minutes_since_previous_submission,
        coalesce(
            {{ dbt.datediff('previous_submitted_at', 'submitted_at', 'second') | trim }}
            <= {{ window_minutes }} * 60,
            false
        ) as is_duplicate_submission
    from sequenced
),

chained as (
    select
        *,
        -- a new chain starts at every lead that is not a duplicate
        sum(case when is_duplicate_submission then 0 else 1 end) over (
            partition by email, form_id
            order by submitted_at, lead_id
            rows between unbounded preceding and current row
        ) as chain_number
    from flagged
),

final as (
    select
        lead_id,
        case
            when email is null or form_id is null or submitted_at is null then lead_id
            else first_value(lead_id) over (
                partition by email, form_id, chain_number
                order by submitted_at, lead_id
                rows between unbounded preceding and unbounded following
            )
        end as resolved_lead_id,
        email,
        form_id,
        submitted_at,
        previous_submitted_at,
        minutes_since_previous_submission,
        is_duplicate_submission,
        case
            when email is null or form_id is null or submitted_at is null then 1
            else cast(
                row_number() over (
                    partition by email, form_id, chain_number
                    order by submitted_at, lead_id
                ) as integer
            )
        end as submission_sequence_number
    from chained
)

select * from final
