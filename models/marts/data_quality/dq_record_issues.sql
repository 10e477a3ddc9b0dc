{#- One row per issue found on a record that staging keeps (the latest,
    non-deleted version of its key; a missing lead source, stage or owner
    included) and, for the append-only stage history's
    stage names, on every loaded row. Emails and phones are personal data and
    are never copied here. -#}
{%- set email_columns = [
    ('reps', 'email'), ('contacts', 'email'), ('leads', 'email'), ('email_list_events', 'subscriber_email'),
] -%}
{%- set phone_columns = [('contacts', 'phone'), ('leads', 'phone')] -%}
{#- (table, column, seed, seed column, check every loaded row instead of the kept records) -#}
{%- set seed_mappings = [
    ('opportunities', 'stage_name', 'stg_reference__stages', 'raw_stage_name', false),
    ('opportunity_stage_history', 'stage_name', 'stg_reference__stages', 'raw_stage_name', true),
    ('leads', 'lead_source', 'stg_reference__lead_sources', 'raw_lead_source', false),
    ('campaigns', 'channel', 'campaign_channels', 'raw_channel', false),
    ('support_cases', 'priority', 'case_priorities', 'raw_priority', false),
    ('accounts', 'region', 'stg_reference__regions', 'raw_region', false),
    ('partners', 'region', 'stg_reference__regions', 'raw_region', false),
    ('teams', 'region', 'stg_reference__regions', 'raw_region', false),
] -%}
{#- (table, column) of a lead source, stage or owner: counted when null or blank -#}
{%- set missing_value_columns = [
    ('leads', 'lead_source'), ('opportunities', 'stage_name'), ('opportunity_stage_history', 'stage_name'),
    ('accounts', 'owner_rep_id'), ('leads', 'owner_rep_id'), ('opportunities', 'owner_rep_id'),
    ('support_cases', 'owner_rep_id'),
] -%}
{#- the relationships tests of the staging models -#}
{%- set foreign_keys = crm_foreign_keys() -%}
{%- set parent_tables = foreign_keys | map(attribute='parent_table') | unique | sort | list -%}
{%- for table_name in crm_contract_table_names() %}
-- depends_on: {{ source('crm', table_name) }}
{%- endfor %}

-- the latest version of each record a foreign key points to, in three
-- columns: DuckDB materialises a CTE read more than once, and all of
-- dq_raw_rows (one row per raw row) spilled gigabytes at scale 10; no
-- foreign key at all (no relationships test on staging) matches no table
with latest_records as (
    select
        table_name,
        record_id,
        is_deleted_version
    from {{ ref('dq_raw_rows') }}
    where
        is_latest_version
        and table_name in (
            {%- if parent_tables %}
                {%- for parent_table in parent_tables %}
                    '{{ parent_table }}'{{ ',' if not loop.last }}
                {%- endfor %}
            {%- else %}
                ''
            {%- endif %}
        )
),

cases as (
    select * from {{ ref('fct_cases') }}
),

case_business_times as (
    select * from {{ ref('fct_case_business_times') }}
),

duplicate_submissions as (
    select * from {{ ref('int_lead_submissions_resolved') }}
),

record_checks as (
    {{ dq_record_issue_selects(email_columns, phone_columns, seed_mappings, foreign_keys) }}
),

duplicate_submission_issues as (
    select
        'leads' as table_name,
        kept_leads.lead_id as record_id,
        kept_leads._batch_id as batch_id,
        kept_leads._source_file as source_file,
        kept_leads._source_row as source_row,
        'duplicate_submission' as issue_type,
        'form_id' as column_name,
        duplicate_submissions.resolved_lead_id as issue_value
    from ({{ dq_kept_rows('leads', []) }}) as kept_leads
    inner join duplicate_submissions
        on kept_leads.lead_id = duplicate_submissions.lead_id
    where duplicate_submissions.is_duplicate_submission
),

-- a case closed without a resolution (fct_cases.is_closed_unresolved): the
-- service marts keep it out of resolution times and SLA; the source should
-- record how it ended
closed_unresolved_issues as (
    select
        'support_cases' as table_name,
        kept_support_cases.case_id as record_id,
        kept_support_cases._batch_id as batch_id,
        kept_support_cases._source_file as source_file,
        kept_support_cases._source_row as source_row,
        'closed_unresolved' as issue_type,
        'resolved_at' as column_name,
        cast(null as {{ dbt.type_string() }}) as issue_value
    from ({{ dq_kept_rows('support_cases', []) }}) as kept_support_cases
    inner join cases
        on kept_support_cases.case_id = cases.case_id
    where cases.is_closed_unresolved
),

-- a case timed by the default business schedule (fct_case_business_times):
-- its owner's team is unknown or not in seed business_schedule_teams (B1)
business_schedule_defaulted_issues as (
    select
        'support_cases' as table_name,
        kept_support_cases.case_id as record_id,
        kept_support_cases._batch_id as batch_id,
        kept_support_cases._source_file as source_file,
        kept_support_cases._source_row as source_row,
        'business_schedule_defaulted' as issue_type,
        'owner_rep_id' as column_name,
        case_business_times.schedule_source as issue_value
    from ({{ dq_kept_rows('support_cases', []) }}) as kept_support_cases
    inner join case_business_times
        on kept_support_cases.case_id = case_business_times.case_id
    where case_business_times.schedule_source != 'team'
),

missing_value_issues as (
    {{ dq_missing_value_selects(missing_value_columns) }}
),

unioned as (
    select * from record_checks
    union all
    select * from duplicate_submission_issues
    union all
    select * from closed_unresolved_issues
    union all
    select * from business_schedule_defaulted_issues
    union all
    select * from missing_value_issues
),

final as (
    select
        table_name || '|' || issue_type || '|' || column_name || '|' || source_file || '|'
        || cast(source_row as {{ dbt.type_string() }}) as record_issue_key,
        table_name,
        record_id,
        batch_id,
        source_file,
        source_row,
        issue_type,
        column_name,
        issue_value
    from unioned
)

select * from final
