#!/bin/sh
# check-flatpak.sh SRCDIR BUILDDIR: checks flatpak/<app id>.json offline.
# flatpak-builder cannot build here (no GNOME SDK without Flathub), so this
# reads the manifest with python3 and compares it with what meson installs
# (BUILDDIR/meson-info). Speaks TAP; every failure says what to fix.
exec python3 - "$@" <<'PY'
import json
import os
import re
import shutil
import subprocess
import sys

src, build = (os.path.realpath(p) for p in sys.argv[1:3])
results = []


def check(ok, what, why=""):
    results.append((bool(ok), what, why))
    return bool(ok)


def skip(what, why):
    results.append((None, what, why))


def finish():
    for n, (ok, what, why) in enumerate(results, 1):
        if ok is None:
            print(f"ok {n} - {what} # SKIP {why}")
        elif ok:
            print(f"ok {n} - {what}")
        else:
            print(f"not ok {n} - {what}")
            for line in why.splitlines():
                print(f"#   {line}")
    print(f"1..{len(results)}")
    sys.exit(0 if all(ok is not False for ok, _, _ in results) else 1)


def strip_comments(text):
    """flatpak-builder reads JSON with json-glib, which skips /* */
    comments; python's json does not, so drop them outside strings."""
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated /* comment")
            i = end + 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


def is_valid_name_char(c):
    return c.isascii() and (c.isalnum() or c == "_")


def has_name_prefix(name, app_id):
    """flatpak_has_name_prefix() in flatpak's common/flatpak-utils.c: what
    build-finish exports is named like the app id, or the app id followed by
    '.' or by a character that cannot continue an id segment ('-')."""
    if not name.startswith(app_id):
        return False
    rest = name[len(app_id):]
    return rest == "" or rest[0] == "." or not is_valid_name_char(rest[0])


# The app id every exported file must start with comes from meson.build.
with open(os.path.join(src, "meson.build")) as f:
    m = re.search(r"^app_id_prefix\s*=\s*'([^']+)'", f.read(), re.M)
app_id = m.group(1) if m else None
if not check(app_id, "meson.build defines app_id_prefix"):
    finish()

manifest_path = os.path.join(src, "flatpak", app_id + ".json")
try:
    with open(manifest_path) as f:
        manifest = json.loads(strip_comments(f.read()))
    check(isinstance(manifest, dict), f"flatpak/{app_id}.json parses")
except (OSError, ValueError) as e:
    check(False, f"flatpak/{app_id}.json parses", str(e))
    finish()

# Top-level keys. flatpak-manifest(5) calls app-id deprecated for id.
mid = manifest.get("id", manifest.get("app-id"))
check(mid == app_id, "the manifest's id is the app id prefix",
      f"id is {mid!r}; it must be {app_id!r} so that build-finish exports "
      "every launcher named <app id>.<App>.desktop")
segments = (mid or "").split(".")
check(len(segments) >= 3 and all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) for s in segments[:-1])
      and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", segments[-1] or ""),
      "the id is a valid Flatpak name", f"{mid!r}")
check(manifest.get("runtime") == "org.gnome.Platform", "runtime is org.gnome.Platform",
      f"runtime is {manifest.get('runtime')!r}")
check(manifest.get("sdk") == "org.gnome.Sdk", "sdk is org.gnome.Sdk",
      f"sdk is {manifest.get('sdk')!r}")
rv = str(manifest.get("runtime-version", ""))
check(re.fullmatch(r"\d+", rv) and int(rv) >= 47,
      "runtime-version is a stable GNOME branch (47 or newer)",
      f"runtime-version is {rv!r}; use a numbered stable branch, not master")

# What meson installs, read from the build tree.
info = os.path.join(build, "meson-info")
with open(os.path.join(info, "intro-buildoptions.json")) as f:
    options = {o["name"]: o["value"] for o in json.load(f)}
with open(os.path.join(info, "intro-installed.json")) as f:
    installed = list(json.load(f).values())
with open(os.path.join(info, "intro-targets.json")) as f:
    targets = json.load(f)
prefix = options["prefix"]
bindir = os.path.join(prefix, options["bindir"])
datadir = os.path.join(prefix, options["datadir"])
programs = sorted(os.path.basename(p) for p in installed if os.path.dirname(p) == bindir)

command = manifest.get("command")
check(command in programs, "command is a program meson installs",
      f"command is {command!r}; installed programs: {', '.join(programs)}")

# Permissions: only these, and the ones the suite cannot work without.
allowed = {
    "--share=network": "Kafka and the monitor links are TCP",
    "--share=ipc": "X11 shared memory under --socket=fallback-x11",
    "--socket=wayland": "the windows",
    "--socket=fallback-x11": "the windows outside Wayland sessions",
    "--device=dri": "GL rendering of GTK",
}
broad = {
    "--socket=x11": "use --socket=fallback-x11, which X11 gets only without Wayland",
    "--filesystem=": "no file access: CSV export goes through the file chooser portal",
    "--device=all": "only --device=dri is needed",
    "--socket=session-bus": "portals need no bus permission",
    "--socket=system-bus": "nothing talks to the system bus",
    "--talk-name=": "portals need no --talk-name",
    "--system-talk-name=": "nothing talks to the system bus",
    "--share=": "only --share=network and --share=ipc",
    "--socket=": "only wayland and fallback-x11",
    "--allow=": "no extra syscalls are needed",
    "--persist=": "data lives in the app's own ~/.var/app folder",
}
finish_args = manifest.get("finish-args", [])
extra = []
for arg in finish_args:
    if arg in allowed:
        continue
    reason = next((why for key, why in broad.items() if arg.startswith(key)), "not in the whitelist")
    extra.append(f"{arg}: {reason}")
check(not extra, "finish-args hold only the whitelisted permissions", "\n".join(extra))
check(len(finish_args) == len(set(finish_args)), "finish-args has no duplicates")
for needed in ("--share=network", "--socket=wayland", "--socket=fallback-x11"):
    check(needed in finish_args, f"finish-args has {needed}", allowed[needed])
if "--socket=fallback-x11" in finish_args:
    check("--share=ipc" in finish_args, "--socket=fallback-x11 comes with --share=ipc",
          "X11 clients need IPC for shared memory")


# Modules and sources: everything fetched is pinned by checksum or commit;
# everything else is a file of this repository.
def walk(modules, where):
    for i, module in enumerate(modules):
        if isinstance(module, str):
            check(False, f"{where}[{i}] is inline",
                  f"{module!r}: keep modules inline in the manifest so that this test sees them")
            continue
        yield module
        yield from walk(module.get("modules", []), f"module {module.get('name')}")


modules = list(walk(manifest.get("modules", []), "modules"))
check(modules, "the manifest has modules")
for module in modules:
    name = module.get("name", "?")
    sources = module.get("sources", [])
    check(sources, f"module {name} has sources")
    for source in sources:
        kind = source.get("type")
        label = f"module {name}: {kind} source {source.get('url') or source.get('path') or ''}".rstrip()
        if kind in ("archive", "file") and "url" in source:
            digest = source.get("sha256", "")
            check(re.fullmatch(r"[0-9a-f]{64}", digest) and len(set(digest)) > 4,
                  f"{label} is pinned by sha256",
                  f"sha256 is {digest!r}: give the real checksum of that tarball, never a placeholder")
            check(source["url"].startswith("https://"), f"{label} is fetched over https")
        elif kind in ("dir", "file", "patch") and "path" in source:
            path = os.path.realpath(os.path.join(os.path.dirname(manifest_path), source["path"]))
            check(path == src or path.startswith(src + os.sep), f"{label} is inside the repository",
                  f"{path} is outside {src}")
            check(os.path.exists(path), f"{label} exists", path)
        elif kind == "git":
            check(re.fullmatch(r"[0-9a-f]{40}", source.get("commit", "")),
                  f"{label} is pinned by commit", "give \"commit\": a full 40-digit hash")
        else:
            check(False, f"{label} is an archive with sha256, a git commit or a local path",
                  json.dumps(source))

project = modules[-1] if modules else {}
check(project.get("buildsystem") == "meson", "the last module builds this project with meson",
      f"last module is {project.get('name')!r} ({project.get('buildsystem')!r})")
dirs = [os.path.realpath(os.path.join(os.path.dirname(manifest_path), s.get("path", "")))
        for s in project.get("sources", []) if s.get("type") == "dir"]
check(dirs == [src], "the project module's source is this repository as a dir source",
      f"dir sources: {dirs}")
config_opts = project.get("config-opts", [])
check("-Dflatpak=true" in config_opts, "the project module sets -Dflatpak=true",
      "without it the bundle's own metainfo (id = app id) is not installed "
      "and flatpak-builder's appstreamcli compose finds no component")

# Exports: build-finish exports desktop files, icons, metainfo and D-Bus
# services whose names carry the app id prefix; anything else is dropped.
export_dirs = [os.path.join(datadir, d) for d in ("applications", "icons", "metainfo", "dbus-1/services")]
exported = [p for p in installed if any(p.startswith(d + os.sep) for d in export_dirs)]
bad = [p for p in exported if not has_name_prefix(os.path.basename(p), app_id)]
check(not bad, f"every exported file is named with the prefix {app_id}",
      "flatpak would not export:\n" + "\n".join(bad))
desktops = sorted(p for p in installed if p.startswith(os.path.join(datadir, "applications") + os.sep))
check(desktops, "meson installs desktop files")
icons = [p for p in installed if p.startswith(os.path.join(datadir, "icons", "hicolor") + os.sep)]
desktop_ids = set()
for path in desktops:
    desktop_id = os.path.basename(path)
    desktop_ids.add(desktop_id)
    built = next((t["filename"][0] for t in targets
                  if t.get("install_filename") == [path]), None)
    if not check(built and os.path.exists(built), f"{desktop_id} is built", str(built)):
        continue
    keys = {}
    with open(built) as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() in ("Exec", "Icon") and k.strip() not in keys:
                keys[k.strip()] = v.strip()
    exec_program = keys.get("Exec", "").split(" ")[0]
    check(exec_program in programs, f"{desktop_id}: Exec runs an installed program",
          f"Exec={keys.get('Exec')!r}; inside the sandbox only /app/bin exists")
    icon = keys.get("Icon", "")
    check(has_name_prefix(icon, app_id), f"{desktop_id}: Icon carries the app id prefix",
          f"Icon={icon!r} would not be exported")
    check(any(os.path.splitext(os.path.basename(p))[0] == icon for p in icons),
          f"{desktop_id}: its icon is installed in hicolor", f"no hicolor icon named {icon}")

# The bundle's own store entry, composed by flatpak-builder.
suite_in = os.path.join(src, "data", app_id + ".metainfo.xml.in")
if check(os.path.exists(suite_in), f"data/{app_id}.metainfo.xml.in exists",
         "flatpak-builder composes only the component whose id is the app id"):
    with open(suite_in) as f:
        text = f.read()
    cid = re.search(r"<id>([^<]+)</id>", text)
    check(cid and cid.group(1) == app_id, "the bundle's metainfo has the app id as component id",
          f"<id> is {cid and cid.group(1)!r}")
    launchables = re.findall(r'<launchable type="desktop-id">([^<]+)</launchable>', text)
    check(launchables and set(launchables) <= desktop_ids,
          "the bundle's metainfo launches an installed desktop file",
          f"launchables {launchables}; desktop files {sorted(desktop_ids)}")
    built = next((t["filename"][0] for t in targets if t["name"] == app_id + ".metainfo.xml"), None)
    appstreamcli = shutil.which("appstreamcli")
    if not appstreamcli:
        skip("the bundle's metainfo validates", "appstreamcli is not installed")
    elif check(built and os.path.exists(built), "the bundle's metainfo is built", str(built)):
        r = subprocess.run([appstreamcli, "validate", "--no-net", built],
                           capture_output=True, text=True)
        check(r.returncode == 0, "the bundle's metainfo validates (appstreamcli --no-net)",
              r.stdout + r.stderr)

with open(os.path.join(src, "meson_options.txt")) as f:
    check(re.search(r"option\('flatpak'", f.read()), "meson_options.txt has the flatpak option")

# flatpak-builder, when present, parses the manifest its own way.
builder = shutil.which("flatpak-builder")
if builder:
    r = subprocess.run([builder, "--show-manifest", manifest_path], capture_output=True, text=True)
    check(r.returncode == 0, "flatpak-builder --show-manifest parses it", r.stderr)
else:
    skip("flatpak-builder --show-manifest parses it", "flatpak-builder is not installed")

finish()
PY
