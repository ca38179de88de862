"""Users: registration, login with access tokens, profiles. Owns the DynamoDB table `users`."""
