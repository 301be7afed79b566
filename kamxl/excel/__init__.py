"""Excel: the KAM_* worksheet functions and the KAM ribbon tab.

The only package of kamxl that may import xlwings. :mod:`kamxl.excel.udfs` holds the
worksheet functions; they take Excel-shaped arguments and run without Excel.
"""
