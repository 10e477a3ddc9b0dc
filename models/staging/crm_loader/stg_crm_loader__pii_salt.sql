{#- The warehouse's secret salt for the personal-data hashes (macro pii_hash
    reads it at run time). A view: the value stays in its one raw table. The
    build stops with a message naming `crm-warehouse load` when there is none. -#}
{{ config(materialized='view') }}
{{ require_pii_salt(source('crm_loader', '_pii_salt')) }}

with source as (
    select * from {{ source('crm_loader', '_pii_salt') }}
),

renamed as (
    select salt
    from source
)

select * from renamed
