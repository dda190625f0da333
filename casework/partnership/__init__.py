"""The partnership's own records (issue 31): training for initial contact organisations and
the match funding partners bring to the programme."""
