{#- SQL builders of the data-quality mart. They loop over the raw contract's
    tables at run time (crm_table_meta), so the models stay short. -#}

{#- One select per raw table: each landed row of its base model with the
    version classification (base_crm__<table>) and whether it exactly
    duplicates an earlier row (every contract column equal). The contract's
    key and columns come from the source YAML at run time (see
    int_raw_rows_unioned). `relation`: rows classified the same way in place
    of base_crm__<table> (an incremental run's crm_touched_rows_classified).
    A full build on an engine with a row hash (dq_row_hash) ranks only the
    rows whose hash of the contract columns occurs more than once: the rank
    over every row sorted the whole raw table by all its columns
    (docs/performance.md, "Windows only where they decide something"). Rows
    of equal hash but different columns are still told apart by the rank's
    partition. -#}
{% macro dq_classify_raw_rows(table_name, relation=none) -%}
    {%- set meta = crm_table_meta(table_name) -%}
    {%- set contract_columns = meta.columns | map(attribute='name') | list -%}
    {%- set row_hash = dq_row_hash(contract_columns) if relation is none and contract_columns else none -%}
    {%- set rank_duplicates -%}
        row_number() over (
            partition by {{ contract_columns | join(', ') }}
            order by _loaded_at, _source_file, _source_row
        ) > 1
    {%- endset -%}
    select
        '{{ table_name }}' as table_name,
        _batch_id as batch_id,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at,
        cast({{ meta.primary_key }} as {{ dbt.type_string() }}) as record_id,
        {% if row_hash -%}
        coalesce(duplicates.is_exact_duplicate, false)
        {%- elif contract_columns -%}
        {{ rank_duplicates }}
        {%- else -%}
        false
        {%- endif %} as is_exact_duplicate,
        has_later_version,
        is_latest_version,
        is_deleted_version
    from {{ relation if relation is not none else ref('base_crm__' ~ table_name) }}
    {%- if row_hash %}
    {%- set raw_relation = source('crm', table_name) %}
    left join (
        select
            _source_file,
            _source_row,
            {{ rank_duplicates }} as is_exact_duplicate
        from {{ raw_relation }}
        where {{ row_hash }} in (
            select {{ row_hash }} from {{ raw_relation }}
            group by {{ row_hash }}
            having count(*) > 1
        )
    ) as duplicates using (_source_file, _source_row)
    {%- endif %}
{%- endmacro %}


{#- A 64-bit hash of `columns` of a row (nulls hash alike, as a window's
    partition groups them), or none where the engine has no such function
    and dq_classify_raw_rows ranks every row. -#}
{% macro dq_row_hash(columns) -%}
    {{ return(adapter.dispatch('dq_row_hash', 'crm_warehouse')(columns)) }}
{%- endmacro %}

{% macro default__dq_row_hash(columns) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__dq_row_hash(columns) -%}
    {{ return('hash(' ~ columns | join(', ') ~ ')') }}
{%- endmacro %}


{#- The rows of raw table `table_name` that staging keeps (the latest,
    non-deleted version of each key): its key, the contract's `columns` a
    check reads and the loader's (batch, file, row). The version of each raw
    row is read from dq_raw_rows, which classified it once, and the columns
    from the raw table itself (source crm), not from base_crm__<table>: a
    check needs no classification there, and on DuckDB the base model's
    split into single and repeated keys (classify_table_versions) would be
    worked out again for every check, where the raw table is a plain scan.
    Use it as a subquery, once per check, not as a CTE read by several:
    DuckDB materialises such a CTE whole, and at scale 10 that spilled
    gigabytes (docs/performance.md, "The data-quality marts without the
    version windows"). -#}
{% macro dq_kept_rows(table_name, columns) -%}
    {%- set primary_key = crm_table_meta(table_name).primary_key -%}
    {%- set kept_columns = [primary_key] + columns | reject('equalto', primary_key) | list -%}
    select
        {%- for column in kept_columns if column %}
        versions.{{ column }},
        {%- endfor %}
        versions._batch_id,
        versions._source_file,
        versions._source_row
    from {{ source('crm', table_name) }} as versions
    inner join {{ ref('dq_raw_rows') }} as classified
        on
            versions._source_file = classified.source_file
            and versions._source_row = classified.source_row
    where
        classified.table_name = '{{ table_name }}'
        and classified.is_latest_version
        and not classified.is_deleted_version
{%- endmacro %}


{#- Union of the record-level checks; each select yields table_name,
    record_id, batch_id, source_file, source_row, issue_type, column_name,
    issue_value. Reads the kept records (dq_kept_rows) and the CTE
    latest_records (table_name, record_id, is_deleted_version of each
    record's latest version in dq_raw_rows). -#}
{% macro dq_record_issue_selects(email_columns, phone_columns, seed_mappings, foreign_keys) -%}
    select
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ dbt.type_string() }}) as record_id,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as bigint) as source_row,
        cast(null as {{ dbt.type_string() }}) as issue_type,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as issue_value
    where false
    {%- for table_name, column_name in email_columns %}
    union all
    select
        '{{ table_name }}', {{ crm_table_meta(table_name).primary_key }}, _batch_id, _source_file, _source_row,
        'invalid_email', '{{ column_name }}', null
    from ({{ dq_kept_rows(table_name, [column_name]) }}) as kept
    where
        {{ normalize_email(column_name) }} is not null
        and not {{ is_valid_email(normalize_email(column_name)) }}
    {%- endfor %}
    {%- for table_name, column_name in phone_columns %}
    union all
    select
        '{{ table_name }}', {{ crm_table_meta(table_name).primary_key }}, _batch_id, _source_file, _source_row,
        'invalid_phone', '{{ column_name }}', null
    from ({{ dq_kept_rows(table_name, [column_name]) }}) as kept
    where
        {{ clean_text(column_name) }} is not null
        and not {{ is_valid_phone(column_name) }}
    {%- endfor %}
    {%- for table_name, column_name, seed, seed_column, every_row in seed_mappings %}
    union all
    select
        '{{ table_name }}', checked.{{ crm_table_meta(table_name).primary_key }},
        checked._batch_id, checked._source_file, checked._source_row,
        'unmapped_value', '{{ column_name }}', {{ map_through_seed('checked.' ~ column_name) }}
    from {% if every_row %}{{ source('crm', table_name) }}{% else %}({{ dq_kept_rows(table_name, [column_name]) }}){% endif %} as checked
    left join {{ ref(seed) }} as seed
        on {{ map_through_seed('checked.' ~ column_name) }} = seed.{{ seed_column }}
    where
        {{ map_through_seed('checked.' ~ column_name) }} is not null
        and seed.{{ seed_column }} is null
    {%- endfor %}
    {%- for fk in foreign_keys %}
    union all
    select
        '{{ fk.table }}', child.{{ crm_table_meta(fk.table).primary_key }},
        child._batch_id, child._source_file, child._source_row,
        case when parent.record_id is null then 'missing_reference' else 'deleted_reference' end,
        '{{ fk.column }}', child.{{ fk.column }}
    from ({{ dq_kept_rows(fk.table, [fk.column]) }}) as child
    left join latest_records as parent
        on
            parent.table_name = '{{ fk.parent_table }}'
            and child.{{ fk.column }} = parent.record_id
    where
        child.{{ fk.column }} is not null
        and (parent.record_id is null or parent.is_deleted_version)
    {%- endfor %}
{%- endmacro %}


{#- The quarantine reason category of a raw._quarantine row (see
    dq_quarantined_rows). Key and date columns come from the contract; where
    dbt offers no graph of sources (unit tests), they are recognised by the
    contract's naming (a required *_id that is blank is a missing key; *_at,
    *_date and *_month columns are dates). -#}
{% macro dq_quarantine_reason(table_name, column_name, rule, raw_value) -%}
    {%- set date_columns = [] -%}
    {%- set key_columns = [] -%}
    {%- set has_graph = execute and graph.sources is defined -%}
    {%- if has_graph -%}
        {%- for name in crm_contract_table_names() -%}
            {%- set meta = crm_table_meta(name) -%}
            {%- do key_columns.append(name ~ '.' ~ meta.primary_key) -%}
            {%- for column in meta.columns if column.data_type in ('date', 'timestamp') -%}
                {%- do date_columns.append(name ~ '.' ~ column.name) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    case
        {%- if has_graph %}
        when {{ rule }} = 'required' and {{ table_name }} || '.' || {{ column_name }} in ('{{ key_columns | join("', '") }}')
            then 'missing_key'
        when {{ rule }} in ('type', 'unparseable')
            and {{ table_name }} || '.' || {{ column_name }} in ('{{ date_columns | join("', '") }}')
            then 'unparseable_date'
        {%- else %}
        {#- escape '!', not a backslash: '\' is an unterminated literal on Spark #}
        when {{ rule }} = 'required' and {{ column_name }} like '%!_id' escape '!'
            then 'missing_key'
        when {{ rule }} in ('type', 'unparseable')
            and ({{ column_name }} like '%!_at' escape '!' or {{ column_name }} like '%!_date' escape '!'
                or {{ column_name }} like '%!_month' escape '!')
            then 'unparseable_date'
        {%- endif %}
        when {{ rule }} = 'min_value' and {{ raw_value }} like '-%'
            then 'negative_amount'
        else {{ rule }}
    end
{%- endmacro %}


{#- The amount column of each converted model with a currency whose money
    dq_currencies sums (in the original currency); orders carry no amount of
    their own (their lines do, at the order's rate). -#}
{% macro dq_currency_amount_column(table_name) -%}
    {{- return({
        'campaigns': 'cost_amount_local',
        'contracts': 'contract_value_local',
        'products': 'list_price_local',
        'orders': none,
    }.get(table_name, 'amount_local')) -}}
{%- endmacro %}


{#- Union of one select per raw table with a currency_code column: its kept
    records (dq_kept_rows: latest and not deleted) per currency code as
    written, joined on the key to the converting intermediate
    (int_<table>_converted) for the conversion date, the exchange-rate
    coverage and the amount in the original currency. The model using it
    declares `-- depends_on:` dq_raw_rows and each of them (refs made here are
    unknown while parsing). -#}
{% macro dq_currency_selects() -%}
    {%- set selects = [] -%}
    {%- for table_name in crm_contract_table_names() -%}
        {%- set meta = crm_table_meta(table_name) -%}
        {%- if 'currency_code' in meta.columns | map(attribute='name') | list -%}
            {%- set amount_column = dq_currency_amount_column(table_name) -%}
            {%- set amount_expr = 'staged.' ~ amount_column if amount_column else 'cast(null as decimal(18, 2))' -%}
            {%- set outside = "staged.exchange_rate_coverage in ('before_coverage', 'after_coverage')" -%}
            {%- do selects.append(
                "select '" ~ table_name ~ "' as table_name, kept.currency_code, count(*) as record_count,"
                ~ " min(staged.conversion_date) as first_transaction_date,"
                ~ " max(staged.conversion_date) as last_transaction_date,"
                ~ " count(case when staged.exchange_rate_coverage = 'before_coverage' then 1 end) as records_before_coverage,"
                ~ " count(case when staged.exchange_rate_coverage = 'after_coverage' then 1 end) as records_after_coverage,"
                ~ " min(case when " ~ outside ~ " then staged.conversion_date end) as first_date_outside_coverage,"
                ~ " max(case when " ~ outside ~ " then staged.conversion_date end) as last_date_outside_coverage,"
                ~ " sum(case when " ~ outside ~ " then " ~ amount_expr ~ " end) as amount_local_outside_coverage,"
                ~ " count(case when staged.exchange_rate_coverage = 'no_rate' then 1 end) as records_without_rate,"
                ~ " sum(case when staged.exchange_rate_coverage = 'no_rate' then " ~ amount_expr ~ " end)"
                ~ " as amount_local_without_rate"
                ~ " from (" ~ dq_kept_rows(table_name, ['currency_code']) ~ ") as kept"
                ~ " left join " ~ ref('int_' ~ table_name ~ '_converted') ~ " as staged"
                ~ " on kept." ~ meta.primary_key ~ " = staged." ~ meta.primary_key
                ~ " where kept.currency_code is not null group by kept.currency_code"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects -%}
        {{ selects | join('\n    union all\n    ') }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as table_name,
            cast(null as {{ dbt.type_string() }}) as currency_code,
            0 as record_count,
            cast(null as date) as first_transaction_date,
            cast(null as date) as last_transaction_date,
            0 as records_before_coverage,
            0 as records_after_coverage,
            cast(null as date) as first_date_outside_coverage,
            cast(null as date) as last_date_outside_coverage,
            cast(null as decimal(18, 2)) as amount_local_outside_coverage,
            0 as records_without_rate,
            cast(null as decimal(18, 2)) as amount_local_without_rate
        where false
    {%- endif -%}
{%- endmacro %}


{#- One select per (table, column) whose value is missing (null or blank) on
    a kept record: issue missing_value. Reads the kept records (dq_kept_rows). -#}
{% macro dq_missing_value_selects(columns) -%}
    {%- for table_name, column_name in columns %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ table_name }}' as table_name,
        cast({{ crm_table_meta(table_name).primary_key }} as {{ dbt.type_string() }}) as record_id,
        _batch_id as batch_id,
        _source_file as source_file,
        _source_row as source_row,
        'missing_value' as issue_type,
        '{{ column_name }}' as column_name,
        cast(null as {{ dbt.type_string() }}) as issue_value
    from ({{ dq_kept_rows(table_name, [column_name]) }}) as kept
    where {{ clean_text(column_name) }} is null
    {%- endfor %}
{%- endmacro %}
