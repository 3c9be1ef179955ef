"""Framework-free provider layer: crawl sources, recognise model serving, yield ModelSpecs.

Nothing below this package imports Django; the inventory app maps what it yields onto rows.
"""
