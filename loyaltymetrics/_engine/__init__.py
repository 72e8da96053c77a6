"""The engine: everything that knows no metric.

Validation at the public boundary, result types, the cell table (the reduced
statistic), proportion intervals, the count bootstrap, corrections for multiple
comparisons and the frame glue that runs the reduce inside any dataframe engine.
"""
