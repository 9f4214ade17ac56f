"""The demo city (a Shenzhen-like city with Chinese names): registry, citizens and organisations."""
