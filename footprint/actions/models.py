"""Deploy actions (request -> dry run -> approval -> execution -> verification) and the append-only audit trail."""
