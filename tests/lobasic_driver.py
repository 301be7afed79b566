"""Compile VBA modules with LibreOffice Basic, headless; run by the system Python (python3-uno).

Usage: ``/usr/bin/python3 tests/lobasic_driver.py < modules.json``, where ``modules.json`` is
``{"modules": [{"id": "...", "name": "xlwings", "text": "Option VBASupport 1\\n..."}],
"timeout": 120}`` (texts as :func:`tests.vbasyntax.for_libreoffice` makes them; after
``timeout`` seconds the driver stops its soffice and exits with status 3). It prints one
JSON object:
``{"results": [{"id", "compiled", "line", "column", "message", "code", "attempts", "retries"}],
"soffice": ..., "seconds": {...}}``. Exit status 0 when every module was checked (compiled
or not), 2 when LibreOffice could not be started or driven (``"error"`` says why), 3 on
timeout.

How a module is checked, in ONE headless soffice (own fresh profile, own process group):

1. The module goes, exactly as given, into a new Basic library of the application
   (``ApplicationScriptLibraryContainer``), one library per module and a fresh library name
   per attempt, beside a second module that holds only a probe function. Libraries are never
   removed (they go with the throwaway profile): removing one whose module had just failed to
   compile made soffice 7.4 crash now and then (a DisposedException at the next call).
2. The probe is invoked through the script provider
   (``vnd.sun.star.script:Lib.Module.Probe?language=Basic&location=application``). Running it
   first compiles every module of its library (``StarBASIC::InitAllModules``) and does not
   start when one fails to compile; the probe returns its token only if the module compiled.
   The probe is not appended to the module checked: ``getScript`` finds a method through a
   quick textual scan of its module (``SbModule::SetSource32``), which takes ``Declare
   PtrSafe Function`` for the start of a procedure and an unterminated string for the end of
   the module, so a probe after such a line "could not be found" (the likely cause of the
   intermittent getScript failures of an earlier version of this check).
3. When it did not, LibreOffice's Basic compiler has recorded its first error (it stops there:
   the office's Basic error handler answers "do not go on") in StarBASIC's error data, the
   data the Basic IDE reads to highlight the line. No Basic or UNO call reads it, so a small
   Python macro (:data:`ERROR_READER`, run inside soffice by the Python script provider) reads
   it with ctypes through StarBASIC's exported static getters ``GetErrorCode``, ``GetLine``,
   ``GetCol1``, ``GetErrorText``, and clears it (``SetErrorData``) before each module, so
   that an error is never reported for the wrong module. The macro is written into the
   profile before soffice starts and looked up once, at start (with retries).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import uno  # type: ignore[import-not-found]  # python3-uno: the system Python only
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

PROBE = "KamxlCompileProbe"
PROBE_MODULE = "KamxlProbeModule"
TOKEN = "kamxl-compiled"
# The probe has a module of its own, so the module checked is exactly its text: running the
# probe first compiles every module of its library (StarBASIC::InitAllModules), and does not
# run it when one does not compile.
PROBE_SOURCE = f'Option VBASupport 1\nFunction {PROBE}()\n    {PROBE} = "{TOKEN}"\nEnd Function\n'
READER_FILE = "kamxl_lobasic_error.py"
START_TIMEOUT = 60.0

# The macro soffice runs to read (and clear) StarBASIC's last compile error. It runs inside
# soffice.bin, where libmergedlo.so (LibreOffice's merged core library, with basic/) is loaded.
ERROR_READER = '''\
"""Read StarBASIC's last error data (what the Basic IDE shows for a compile error)."""
import ctypes
import os


def _library():
    """The loaded library of this soffice that holds StarBASIC (libmergedlo.so or libsblo.so)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if line.rstrip().endswith(".so")}
    for path in sorted(p for p in paths if os.path.basename(p) in ("libmergedlo.so", "libsblo.so")):
        lib = ctypes.CDLL(path)  # already loaded: the same handle, nothing new runs
        if hasattr(lib, "_ZN9StarBASIC7GetLineEv"):
            return lib
    raise RuntimeError("no loaded LibreOffice library exports StarBASIC::GetLine")


class _RtlUString(ctypes.Structure):
    _fields_ = [("refCount", ctypes.c_int32), ("length", ctypes.c_int32),
                ("buffer", ctypes.c_uint16 * 1)]


_LIB = _library()
_LINE = _LIB._ZN9StarBASIC7GetLineEv
_LINE.restype = ctypes.c_uint16
_COL = _LIB._ZN9StarBASIC7GetCol1Ev
_COL.restype = ctypes.c_uint16
_CODE = _LIB._ZN9StarBASIC12GetErrorCodeEv  # ErrCode const&: one sal_uInt32
_CODE.restype = ctypes.POINTER(ctypes.c_uint32)
_TEXT = _LIB._ZN9StarBASIC12GetErrorTextEv  # OUString const&: one rtl_uString*
_TEXT.restype = ctypes.POINTER(ctypes.POINTER(_RtlUString))
_SET = _LIB._ZN9StarBASIC12SetErrorDataE7ErrCodettt  # ErrCode is a trivial sal_uInt32
_SET.argtypes = [ctypes.c_uint32, ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint16]
_SET.restype = None


def read_error(*args):
    code = _CODE().contents.value
    text = ""
    string = _TEXT().contents
    if string:
        s = string.contents
        address = ctypes.addressof(s) + _RtlUString.buffer.offset
        text = ctypes.string_at(address, 2 * s.length).decode("utf-16-le")
    return "%d|%d|%d|%s" % (code, _LINE(), _COL(), text)


def clear_error(*args):
    _SET(0, 0, 0, 0)
    return "cleared"


g_exportedScripts = (read_error, clear_error)
'''


class DriverError(RuntimeError):
    """LibreOffice could not be started or driven."""


def _start(profile: str, pipe: str) -> subprocess.Popen[bytes]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise DriverError("no soffice on PATH")
    return subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: we stop only what we started
    )


def _connect(process: subprocess.Popen[bytes], pipe: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if process.poll() is not None:
                raise DriverError(f"soffice exited with status {process.returncode}") from None
            if time.monotonic() > deadline:
                raise DriverError(
                    f"soffice did not accept a connection in {START_TIMEOUT} s"
                ) from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes], context: Any) -> None:
    """Terminate our soffice: politely, then its process group (ours alone)."""
    if context is not None:
        try:
            desktop = context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context
            )
            desktop.terminate()
        except Exception:  # the connection goes away as soffice quits
            pass
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # what is left of the group (soffice.bin, oosplash)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    if process.poll() is None:
        process.wait(timeout=5)


class Checker:
    """The connection to one soffice, and the scripts the checks call."""

    def __init__(self, context: Any) -> None:
        manager = context.ServiceManager
        self.libraries = manager.createInstanceWithContext(
            "com.sun.star.script.ApplicationScriptLibraryContainer", context
        )
        factory = manager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", context
        )
        self.provider = factory.createScriptProvider("")
        self.read_error = self._python_script("read_error")
        self.clear_error = self._python_script("clear_error")
        self.counter = 0

    def _python_script(self, function: str) -> Any:
        url = f"vnd.sun.star.script:{READER_FILE}${function}?language=Python&location=user"
        last: Exception | None = None
        for attempt in range(20):
            try:
                script = self.provider.getScript(url)
                script.invoke((), (), ())  # imports the macro: ctypes, the symbols
                return script
            except Exception as error:  # retried, then reported
                last = error
                time.sleep(0.25 * (attempt + 1))
        raise DriverError(f"the error reader macro cannot be run: {last}")

    def _new_library_name(self) -> str:
        while True:
            self.counter += 1
            name = f"KamxlCheck{os.getpid()}_{self.counter}"
            if not self.libraries.hasByName(name):
                return name

    def _error(self) -> tuple[int, int, int, str]:
        code, line, column, message = str(self.read_error.invoke((), (), ())[0]).split("|", 3)
        return int(code), int(line), int(column), message

    def check(self, name: str, text: str) -> dict[str, Any]:
        """Compile ``text`` as module ``name`` of a fresh library; what LibreOffice says."""
        module = name if name.isidentifier() and name.isascii() else "Module1"
        if module.lower() == PROBE_MODULE.lower():
            module = "Module1"
        attempts: list[str] = []
        for _ in range(3):
            library = self._new_library_name()
            self.clear_error.invoke((), (), ())
            container = self.libraries.createLibrary(library)
            container.insertByName(module, text)
            container.insertByName(PROBE_MODULE, PROBE_SOURCE)
            url = (
                f"vnd.sun.star.script:{library}.{PROBE_MODULE}.{PROBE}"
                "?language=Basic&location=application"
            )
            try:
                script = self.provider.getScript(url)
            except Exception as error:  # retried with a new library
                attempts.append(f"getScript: {type(error).__name__}: {error}")
                continue
            result = script.invoke((), (), ())[0]
            if result == TOKEN:
                return {"compiled": True, "attempts": len(attempts) + 1, "retries": attempts}
            code, line, column, message = self._error()
            if code == 0:
                attempts.append(f"probe returned {result!r} and no error was recorded")
                continue
            return {
                "compiled": False,
                "line": line,
                "column": column,
                "message": message,
                "code": code,
                "attempts": len(attempts) + 1,
                "retries": attempts,
            }
        return {
            "compiled": False,
            "line": None,
            "column": None,
            "message": "LibreOffice could not check the module: " + "; ".join(attempts),
            "code": None,
            "attempts": len(attempts),
            "retries": attempts,
        }


def main() -> None:
    """Read the modules (JSON, stdin), check each, print the results (JSON, stdout)."""
    request = json.load(sys.stdin)
    started = time.monotonic()
    profile = tempfile.mkdtemp(prefix="kamxl-lobasic-")
    scripts = os.path.join(profile, "user", "Scripts", "python")
    os.makedirs(scripts)
    with open(os.path.join(scripts, READER_FILE), "w", encoding="utf-8") as handle:
        handle.write(ERROR_READER)
    pipe = f"kamxl_lobasic_{os.getpid()}_{int(time.time() * 1000)}"
    process: subprocess.Popen[bytes] | None = None
    context = None
    output: dict[str, Any] = {"results": []}
    status = 0

    finishing = threading.Lock()  # taken by whichever writes the output: main or watchdog

    def give_up() -> None:
        # A UNO call that never returns cannot be interrupted: stop soffice, say so, exit.
        if not finishing.acquire(blocking=False):
            return
        if process is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(1)
        shutil.rmtree(profile, ignore_errors=True)
        done = len(output["results"])
        output["error"] = f"timed out after {timeout} s ({done} module(s) checked)"
        sys.stdout.write(json.dumps(output) + "\n")
        sys.stdout.flush()
        os._exit(3)

    timeout = float(request.get("timeout", 120))
    watchdog = threading.Timer(timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        process = _start(profile, pipe)
        context = _connect(process, pipe)
        connected = time.monotonic()
        checker = Checker(context)
        ready = time.monotonic()
        for module in request["modules"]:
            result = checker.check(module["name"], module["text"])
            output["results"].append({"id": module["id"], **result})
        done = time.monotonic()
        output["seconds"] = {
            "start": round(connected - started, 2),
            "error_reader": round(ready - connected, 2),
            "modules": round(done - ready, 2),
        }
        provider = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", context
        )
        node = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationAccess",
            (
                uno.createUnoStruct(
                    "com.sun.star.beans.PropertyValue",
                    "nodepath",
                    0,
                    "/org.openoffice.Setup/Product",
                    0,
                ),
            ),
        )
        output["soffice"] = f"{node.getByName('ooName')} {node.getByName('ooSetupVersionAboutBox')}"
    except Exception as error:  # reported to the caller as JSON
        output["error"] = f"{type(error).__name__}: {error}"
        status = 2
    finally:
        if process is not None:
            _stop(process, context)
        watchdog.cancel()
        shutil.rmtree(profile, ignore_errors=True)
    if not finishing.acquire(blocking=False):
        time.sleep(60)  # the watchdog is writing its timeout report and exiting
    output["seconds"] = {**output.get("seconds", {}), "total": round(time.monotonic() - started, 2)}
    sys.stdout.write(json.dumps(output) + "\n")
    sys.stdout.flush()
    # Skip the interpreter's teardown: pyuno may crash there once soffice has gone.
    os._exit(status)


if __name__ == "__main__":
    main()
