"""One OpenAPI document for the whole public API, and the Swagger UI page that shows it."""
