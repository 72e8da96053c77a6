"""Purchase and spend models: one module per model, on the shared fitted-model base."""
