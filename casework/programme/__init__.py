"""The programme view: dashboard, costs avoided, unit costs and the Partnership Board report."""
