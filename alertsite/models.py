"""No models: the module exists so that `migrate` sends this app's post_migrate (role groups)."""
