"""What every service shares: config, logging, AWS clients, HTTP app factory, messaging."""
