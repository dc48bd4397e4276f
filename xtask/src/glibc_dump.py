# Run by `cargo xtask glibc-layout` inside gdb (gdb -batch -x THIS), with ld.so or libc loaded
# together with its debug info. Prints one fact per line for xtask/src/glibc_layout.rs:
#   struct MODULE SIZE ALIGN
#   field MODULE NAME BITPOS BITSIZE SIZE      (anonymous struct/union members flattened)
#   tunable ID NAME TYPE MIN MAX DEFAULT SECURITY ALIAS
#   missing MODULE                              (a type this object's debug info lacks)
# Which types to print comes from the convenience variable $ldrs_types ("C-TYPE=MODULE,...")
# and whether to print the tunables from $ldrs_tunables (1 or 0).
import gdb


def conv(name):
    value = gdb.convenience_variable(name)
    return value.string() if value.type.code == gdb.TYPE_CODE_ARRAY else int(value)


def fields(module, ty, base):
    for f in ty.fields():
        if f.name is None:
            # An anonymous struct or union: its members belong to the enclosing type.
            fields(module, f.type.strip_typedefs(), base + f.bitpos)
            continue
        print("field %s %s %d %d %d" % (module, f.name, base + f.bitpos, f.bitsize, f.type.sizeof))


for spec in conv("ldrs_types").split(","):
    c_type, module = spec.split("=")
    try:
        ty = gdb.lookup_type(c_type).strip_typedefs()
    except gdb.error:
        print("missing %s" % module)
        continue
    print("struct %s %d %d" % (module, ty.sizeof, ty.alignof))
    fields(module, ty, 0)

if conv("ldrs_tunables"):
    table = gdb.parse_and_eval("tunable_list")
    names = [f.name for f in table[0].type.fields()]
    for i in range(table.type.sizeof // table[0].type.sizeof):
        row = table[i]
        # 2.36 keeps the default in `val` until the environment is read; later releases
        # have a separate `def`.
        default = row["def"] if "def" in names else row["val"]
        security = str(row["security_level"]) if "security_level" in names else "-"
        print("tunable %d %s %s %d %d %d %s %s" % (
            i, row["name"].string(), str(row["type"]["type_code"]), int(row["type"]["min"]),
            int(row["type"]["max"]), int(default["numval"]), security,
            row["env_alias"].string() or "-"))
