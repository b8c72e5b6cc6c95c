// evalrun view
