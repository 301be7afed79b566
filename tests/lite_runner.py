"""Runs the generated xlwings Lite main.py where only numpy and xlwings are installed.

``python -I -S tests/lite_runner.py SITE MAIN CALLS OUT``: ``-I -S`` leave out every site
package and the environment; SITE (a folder holding numpy and xlwings only) is the one
place packages come from. The script notes which packages can be imported before main.py
is loaded, loads MAIN as the module ``main`` (as xlwings Lite does), calls its functions on
the pickled CALLS (``[(name, [positional arguments])]``, shaped as Lite passes them) and
pickles what it found into OUT. Standard library only: nothing here may need kamxl.
"""

from __future__ import annotations

import importlib
import importlib.util
import pickle
import sys

PROBED = ("numpy", "xlwings", "xlwings.pro", "kamxl", "pandas", "openpyxl", "python_calamine")


def importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def main() -> None:
    site, main_path, calls_path, out_path = sys.argv[1:]
    sys.path.insert(0, site)
    before = {name: importable(name) for name in PROBED}
    spec = importlib.util.spec_from_file_location("main", main_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    with open(calls_path, "rb") as stream:
        calls = pickle.load(stream)
    results = []
    for name, args in calls:
        try:
            results.append(("value", getattr(module, name)(*args)))
        except Exception as error:  # compared with what kamxl raises
            results.append(("raised", type(error).__name__))
    found = {
        "before": before,
        "flags": {"isolated": sys.flags.isolated, "no_site": sys.flags.no_site},
        "packages": sorted({name.partition(".")[0] for name in sys.modules}),
        "functions": sorted(n for n in vars(module) if n.startswith("KAM_")),
        "kamxl_origin": sys.modules["kamxl"].__spec__.origin,
        "results": results,
    }
    with open(out_path, "wb") as stream:
        pickle.dump(found, stream)


if __name__ == "__main__":
    main()
