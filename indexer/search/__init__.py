"""Stage: query → ranked clauses (understanding, retrieval, fusion, filters, results)."""
