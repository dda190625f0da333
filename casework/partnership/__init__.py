"""The partnership's own records: training for initial contact organisations and
the match funding partners bring to the programme."""
