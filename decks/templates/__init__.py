"""The default deck template, shipped as the data of the package ``kamxl.deck.templates``.

pyproject.toml maps this folder to that package so that kamxl finds kamxl_default.pptx with
importlib.resources when installed from a wheel or in editable mode; setuptools' editable
finder only maps a package folder that holds an ``__init__.py``, hence this file.
"""
