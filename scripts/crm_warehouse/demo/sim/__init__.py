"""The business simulation behind the demo data, one module per domain.

- `world`: the simulated company (`Sim`): random streams, volumes, exchange
  rates, service levels and the record arrays the domains fill in;
- `records`: `TableModel` and the vectorised helpers over record arrays;
- `registry`: contract table -> builder of its `TableModel`, filled by the
  domain modules with `@builds("<table>")`;
- `people`: names, emails and phones as people type them;
- `organisation`: teams, reps, targets;
- `marketing`: campaigns, leads, web sessions, email list events, campaign members;
- `sales`: products, partners, accounts, contacts;
- `deals`: opportunities, their stage history and quotes;
- `finance`: orders, order lines, contracts, invoices, payments;
- `service`: support cases and activities;
- `story`: runs the domains in the order of the story (and so registers
  every builder).

A `TableModel` holds the change instants of each record (an export batch
holding a change writes the record's state as of its last change in that
batch) and a function building the columns as of an instant. Value
conventions of that function (render.py turns them into file values by the
contract's logical type): varchar -> pyarrow string array; timestamp -> int64
seconds UTC; date -> int64 days; decimal -> int64 cents; integer -> int64;
boolean -> numpy bool; NA (int64 min) is null. The version column
(`updated_at`) and the soft-delete column (`is_deleted`) are filled by the
renderer from the as-of instant and `TableModel.deleted_at`.
"""
