"""Mail: rendering notices from the templates, building messages, and delivering them."""
