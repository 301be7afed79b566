"""The standard KAM workbook: schema, template, reader, checks and headless recalc."""
