"""Products: the record and its rules, its DynamoDB items and store, the catalog's routes."""
