"""The main job of `cargo xtask demo`: python3 doing a little of everything a loader serves.

`cargo xtask demo` runs this script under ld-rs and under glibc's ld.so, both named on the
command line (`LOADER python3 demo.py`), and requires the two runs to print the same bytes
and exit the same way. So everything printed here is deterministic: no addresses, thread
ids, timings or directories, only what was computed and which module files were loaded.

What it exercises in the loader:
  * dlopen: each extension module is a shared object python dlopens, with its own
    dependencies (libssl, libcrypto, libsqlite3, libz, libmpdec, libffi, ...);
  * dlsym: python looks up each module's PyInit_* function, ctypes looks up C functions;
  * threads and thread-local storage: every thread python starts gets its TLS blocks
    from the loader (`_dl_allocate_tls`), and C code in it finds them (`__tls_get_addr`);
  * the loader's own start-up, once more: a child process started the same way.

Run with `--child` it is that child, and prints one line.
"""

import sys

if sys.argv[1:] == ["--child"]:
    print(f"    hello from the child process, python {sys.version_info.major}.{sys.version_info.minor}")
    sys.exit(0)

import ctypes
import decimal
import hashlib
import json
import math
import os
import sqlite3
import ssl
import subprocess
import threading
import zlib
import _ctypes
import _hashlib
import _json
import _sqlite3
import _ssl

try:
    import _decimal
except ImportError:  # a python built without libmpdec: decimal is pure python
    _decimal = decimal


def section(title):
    print()
    print(title)


def where(module):
    """Where a module came from: its file name, or "built in" if it is part of python itself."""
    path = getattr(module, "__file__", None)
    return os.path.basename(path) if path else "built in"


print(f"python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}, "
      "running demo.py")

def try_math():
    return f"math.cos(1) = {math.cos(1):.12f}, math.factorial(20) = {math.factorial(20)}"


def try_json():
    return "json.dumps(...) = " + json.dumps({"loader": "ld-rs", "works": True, "n": [1, 2, 3]}, sort_keys=True)


def try_zlib():
    data = b"ld-rs " * 1000
    packed = zlib.compress(data, 9)
    ok = "ok" if zlib.decompress(packed) == data else "FAILED"
    return f"crc32 = {zlib.crc32(data):#010x}, {len(data)} bytes -> {len(packed)} compressed, round trip {ok}"


def try_ssl():
    ctx = ssl.create_default_context()
    return f"{ssl.OPENSSL_VERSION}; a TLS client context: {ctx.protocol.name}, {ctx.verify_mode.name}"


def try_sqlite3():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE n (i INTEGER)")
    db.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(1, 11)])
    count, squares = db.execute("SELECT COUNT(*), SUM(i * i) FROM n").fetchone()
    return f"SQLite {sqlite3.sqlite_version}: {count} rows, sum of squares {squares}"


def try_hashlib():
    return (f"sha256(b'ld-rs') = {hashlib.sha256(b'ld-rs').hexdigest()[:24]}..., "
            f"md5(b'ld-rs') = {hashlib.md5(b'ld-rs').hexdigest()}")


def try_decimal():
    return f"sqrt(2) to 40 digits = {decimal.Context(prec=40).sqrt(decimal.Decimal(2))}"


def try_ctypes():
    return f"libffi's foreign calls; a pointer is {ctypes.sizeof(ctypes.c_void_p)} bytes"


section("Extension modules (shared objects python dlopens, or built into python):")
# (the module whose file is shown, what is tried with it)
for c_module, tried in [
    (math, try_math),
    (_json, try_json),
    (zlib, try_zlib),
    (_ssl, try_ssl),
    (_sqlite3, try_sqlite3),
    (_hashlib, try_hashlib),
    (_decimal, try_decimal),
    (_ctypes, try_ctypes),
]:
    print(f"  {c_module.__name__:9} [{where(c_module)}]")
    print(f"            {tried()}")

section("Threads (4 threads, each hashing its own chain of 20000 sha256 rounds):")


def chain(seed, rounds, results, index):
    digest = seed.encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    results[index] = digest.hex()[:16]


results = [None] * 4
threads = [threading.Thread(target=chain, args=(f"thread-{i}", 20000, results, i), name=f"worker-{i}")
           for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for t, r in zip(threads, results):
    print(f"  {t.name}: {r}")
local = threading.local()
seen = []


def tls_check(i):
    local.value = i  # every thread sees its own `local.value`
    seen.append(local.value == i)


tls_threads = [threading.Thread(target=tls_check, args=(i,)) for i in range(8)]
for t in tls_threads:
    t.start()
for t in tls_threads:
    t.join()
print(f"  threading.local: {sum(seen)} of {len(seen)} threads saw only their own value")

section("ctypes (C functions found with dlsym, called through libffi):")
libc = ctypes.CDLL("libc.so.6")
libm = ctypes.CDLL("libm.so.6")
libc.strlen.argtypes, libc.strlen.restype = [ctypes.c_char_p], ctypes.c_size_t
libm.cos.argtypes, libm.cos.restype = [ctypes.c_double], ctypes.c_double
print(f"  libc strlen(b'hello, ld-rs') = {libc.strlen(b'hello, ld-rs')}")
print(f"  libm cos(0.5) = {libm.cos(0.5):.12f} (math.cos says {math.cos(0.5):.12f})")
numbers = (ctypes.c_int * 8)(5, 3, 8, 1, 9, 2, 7, 4)
COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
libc.qsort(numbers, len(numbers), ctypes.sizeof(ctypes.c_int), COMPARE(lambda a, b: a[0] - b[0]))
print(f"  libc qsort with a python comparison callback: {list(numbers)}")

section("A subprocess: this script again, with --child, started by the same loader:")
# Named on the command line, a loader is what /proc/self/exe shows; start the child the
# same way, so it runs under the same loader as this process.
exe = os.path.realpath("/proc/self/exe")
command = [sys.executable, __file__, "--child"]
if exe != os.path.realpath(sys.executable):
    command.insert(0, exe)
child = subprocess.run(command, capture_output=True, text=True)
print(child.stdout, end="")
print(f"    (the child exited with status {child.returncode})")

print()
print("done.")
