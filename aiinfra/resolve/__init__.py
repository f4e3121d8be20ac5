"""The resolver: a spec becomes decisions (types, zones, capacity, placement) in one ResolvedEnvironment.

resolver.resolve / resolver.load are the entry points; result.py holds the records every later stage reads.
"""
