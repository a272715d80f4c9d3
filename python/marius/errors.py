"""marius.errors - the one exception type of the Python package."""

# Status codes of <marius/abi/common.h> (marius_status).
OK = 0
INVALID_ARGUMENT = 1
NOT_FOUND = 2
OUT_OF_RANGE = 3
IO = 4
NO_SPACE = 5
OUT_OF_MEMORY = 6
UNSUPPORTED = 7
VERSION_MISMATCH = 8
INTERNAL = 9

_NAMES = {
    OK: "OK", INVALID_ARGUMENT: "INVALID_ARGUMENT", NOT_FOUND: "NOT_FOUND", OUT_OF_RANGE: "OUT_OF_RANGE",
    IO: "IO", NO_SPACE: "NO_SPACE", OUT_OF_MEMORY: "OUT_OF_MEMORY", UNSUPPORTED: "UNSUPPORTED",
    VERSION_MISMATCH: "VERSION_MISMATCH", INTERNAL: "INTERNAL",
}


class MariusError(Exception):
    """A failed call into libmarius, or a misuse of the package.

    ``code`` is the C status (``marius.errors.NOT_FOUND``, ...), ``status`` its
    name, and ``str(error)`` the library's message, which names the key, file,
    id or plugin at fault.
    """

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.status = status or _NAMES.get(code, "UNKNOWN")
        self.message = message

    def __repr__(self):
        return f"MariusError({self.status}, {self.message!r})"
