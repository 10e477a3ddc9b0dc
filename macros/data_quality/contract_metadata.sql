{#- Names of the raw contract's tables (source crm). dbt resolves source()
    dependencies when it parses, before the graph exists, so the names are
    listed here once; tests/python/functional/test_data_quality.py checks them against
    the contract. Everything else about a table (key, version column, soft
    delete, columns and types) is read from the source YAML at run time by
    crm_table_meta(). -#}
{% macro crm_contract_table_names() -%}
    {{ return([
        'teams', 'reps', 'targets', 'accounts', 'contacts', 'partners',
        'campaigns', 'campaign_members', 'leads', 'web_sessions', 'email_list_events',
        'products', 'opportunities', 'opportunity_stage_history', 'quotes',
        'orders', 'order_lines', 'contracts', 'invoices', 'payments',
        'activities', 'support_cases',
    ]) }}
{%- endmacro %}


{#- The contract metadata of one raw table, from the parsed source YAML:
    {name, primary_key, version_column, soft_delete, columns: [{name, data_type}]}.
    While parsing (no graph yet) it returns a placeholder. -#}
{% macro crm_table_meta(table_name) -%}
    {%- if not execute -%}
        {{ return({'name': table_name, 'primary_key': table_name ~ '_id', 'version_column': none,
                   'soft_delete': none, 'columns': []}) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'crm' and node.name == table_name -%}
            {%- set meta = node.config.meta if (node.config.meta is defined and node.config.meta) else node.meta -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() -%}
                {%- do columns.append({'name': column.name, 'data_type': (column.data_type or 'varchar') | lower}) -%}
            {%- endfor -%}
            {{ return({'name': table_name, 'primary_key': meta.get('primary_key'),
                       'version_column': meta.get('version_column'), 'soft_delete': meta.get('soft_delete'),
                       'columns': columns}) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("crm_table_meta: '" ~ table_name ~ "' is not a table of source crm") }}
{%- endmacro %}


{#- The foreign keys of the staging layer, read from the `relationships` (or
    `relationships_where_present`) tests declared on stg_crm__* models: a list of {table, column, parent_table,
    parent_column}, table names without the stg_crm__ prefix. Empty while parsing. -#}
{% macro crm_foreign_keys() -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'test' and node.test_metadata is defined and node.test_metadata
                  and node.test_metadata.name in ('relationships', 'relationships_where_present')
                  and (node.attached_node or '').startswith('model.' ~ project_name ~ '.stg_crm__') -%}
                {%- set kwargs = node.test_metadata.kwargs -%}
                {%- set child = node.attached_node.split('.')[-1] | replace('stg_crm__', '') -%}
                {%- set parent = kwargs.to | replace('ref(', '') | replace(')', '') | replace("'", '') | replace('"', '') | trim -%}
                {%- do found.append({'table': child, 'column': kwargs.column_name,
                                     'parent_table': parent | replace('stg_crm__', ''), 'parent_column': kwargs.field}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found | sort(attribute='column') | sort(attribute='table')) }}
{%- endmacro %}
