//! The driver: one process's journey from the kernel's hand-off to the
//! program's entry point, one call per phase.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, Ordering};
use elf::consts::*;
use elf::{Image, Phdr};

use crate::config::{self, Command, Config, Mode};
use crate::debug;
use crate::diag::{self, LoadError, Msg};
use crate::dso::{Dso, DsoId, Kind};
use crate::namespace::{Namespace, NsId, BASE, MAX_NAMESPACES};
use crate::search::{Found, SearchError};
use crate::start::{Handover, Startup};
use crate::table::Objects;
use crate::{arch, map, sys};

/// What a C library needs of its dynamic linker beyond the ELF rules: the
/// linker calls these at fixed points of start-up (`glibc/` implements them
/// for glibc's libc).
pub trait Runtime {
    /// Every start-up object is loaded and its TLS module placed; nothing is
    /// relocated yet.  Thread-pointer set-up belongs here.
    fn before_relocation(
        &mut self,
        ld: &mut Linker,
        st: &Startup,
        tls: crate::tls::StaticLayout,
    ) -> Result<(), LoadError>;
    /// The vDSO, if the kernel gave one, is recorded; no library is loaded yet.
    fn vdso_loaded(&mut self, _ld: &Linker) {}
    /// Every start-up object is relocated, but for the loader's own record.
    fn relocated(&mut self, _ld: &Linker) {}
    /// Everything is relocated; no initializer has run.
    fn before_init(&mut self, ld: &mut Linker, st: &Startup) -> Result<(), LoadError>;
    /// The capability subdirectories the library search tries in each
    /// directory: the `glibc-hwcaps` names the CPU supports, best first, and
    /// the legacy hardware-capability and platform names (see
    /// `search::capability_dirs`).  A function, called with the platform
    /// name only when a search first needs it (it asks the CPU, which is slow
    /// under a hypervisor).
    fn search_caps(&mut self, st: &Startup) -> crate::search::CapsFn;
    /// The C library's own conditions for loading object `id`, checked
    /// after its versions: the error text if it fails one.
    fn check_object(&self, _ld: &Linker, _id: DsoId) -> Result<(), &'static [u8]> {
        Ok(())
    }
    /// Examines the CPU now, as start-up would later (`LD_DEBUG=statistics`
    /// starts its clock after this, as glibc's does).
    fn examine_cpu(&mut self, _st: &Startup) {}
    /// The C library's own settings, read first thing, before the loader's
    /// (they may warn, and may ask for the process to be treated as
    /// privileged: then true).
    fn read_settings(&mut self, _st: &Startup) -> bool {
        false
    }
    /// The variables a privileged program does not pass on (the C library's
    /// list; [`config::is_unsecure`] by default).
    fn unsecure_env(&self) -> fn(&[u8]) -> bool {
        config::is_unsecure
    }
    /// Completes the load of audit module `root`, which start-up mapped
    /// into a namespace of its own: what it needs loaded, relocated and
    /// initialized as `dlmopen` would (`audit.rs`).  Its search list, or
    /// the error's text.
    fn open_audit_module(&mut self, _ld: &mut Linker, _root: DsoId) -> Result<Vec<DsoId>, Vec<u8>> {
        Err(b"audit modules need a C library".to_vec())
    }
    /// Unloads audit module `root` (opened by `open_audit_module`), which
    /// declined.
    fn close_audit_module(&mut self, _ld: &mut Linker, _root: DsoId) {}
    /// The C library's record of an object as a namespace lists it, the
    /// `struct link_map *` an audit module is given (`audit.rs`).
    fn link_map_of(&self) -> fn(DsoId, NsId) -> usize {
        |_, _| 0
    }
    /// `--list-diagnostics`: print the C library's report on the process,
    /// the kernel and the CPU (the linker exits 0 after it).
    fn list_diagnostics(&mut self, st: &Startup);
    /// `--list-tunables`: print the C library's settings with their values
    /// and bounds (the linker exits 0 after it).
    fn list_tunables(&mut self, st: &Startup);
    /// `--help`'s sections on the capability subdirectories the library
    /// search tries in each directory (`prepend`, `mask`: the
    /// `--glibc-hwcaps-prepend` and `--glibc-hwcaps-mask` lists;
    /// `platform`: `AT_PLATFORM`'s name).
    fn help_caps(&mut self, st: &Startup, prepend: Option<&[u8]>, mask: Option<&[u8]>, platform: &[u8]) -> Vec<u8>;
    /// What else, besides the loader's own configuration and the files it
    /// reads, could change which libraries a start loads or what their
    /// symbols bind to: the launch cache (`launch.rs`) replays a start only
    /// when these bytes are the same.
    fn launch_inputs(&mut self, _st: &Startup) -> Vec<u8> {
        Vec::new()
    }
}

/// The linker's state: every loaded object, in load order.
pub struct Linker {
    pub config: Config,
    /// Every loaded object, by id and in load order (the program first).
    pub objs: Objects,
    /// The namespaces (`namespace.rs`), each with its global scope; the
    /// base one's is the program and its dependencies, breadth-first, then
    /// what `RTLD_GLOBAL` added.
    pub namespaces: [Namespace; MAX_NAMESPACES],
    /// The objects loaded since the last `dl_load` began, in load order.
    pub created: Vec<DsoId>,
    /// `dlopen` is relocating: bindings mark NODELETE as pending only.
    pub relocating: core::sync::atomic::AtomicBool,
    /// `dlclose` is running finalizers; a `dlclose` made by one of them
    /// asks for one more collection (`close_again`).
    pub closing: bool,
    pub close_again: bool,
    /// Takes (`true`) or releases the C library's load lock, for a lazy
    /// binding that must change what `dlclose` reads (`note_binding`).
    pub load_lock: fn(bool),
    /// Makes the C library's record of object `id` of namespace `ns`, just
    /// mapped by a `dlopen` (or ld-rs itself, first needed there), before
    /// the audit modules are told of it (they are given the record).
    pub record_mapped: fn(&Linker, DsoId, NsId),
    /// Under `LD_TRACE_LOADED_OBJECTS`: libraries not found, with the place
    /// in the global list where each would have gone.
    pub trace_missing: Vec<(usize, Vec<u8>)>,
    /// Start-up is over: errors go to the caller (`dlopen`), not to stderr.
    pub started: bool,
    /// TLS after start-up: the static area's use, the C library's hooks.
    pub tls: crate::tls::TlsState,
    /// (argc, argv, envp), for the initializers of objects loaded later.
    pub argv: (usize, usize, usize),
    /// The page size (`AT_PAGESZ`).
    pub page: usize,
    /// `/etc/ld.so.cache`, mapped when a search needs it (`ld_cache.rs`).
    pub cache: crate::ld_cache::CacheFile,
    /// The capability subdirectories and names every search uses, computed
    /// on first use (`search.rs`).
    pub caps: Option<crate::search::Capabilities>,
    /// The library search's directories, set up on first use.
    pub paths: Option<crate::search::Paths>,
    /// `dlopen` is loading the object it was asked for (not a dependency):
    /// `LD_DEBUG=files` says "dynamically loaded by".
    pub loading_root: bool,
    /// That object is named by a path and loaded into a namespace given
    /// (`dlmopen`, an audit module): glibc's loader then has no calling
    /// object for it, and `LD_DEBUG=files` names none.
    pub root_uncalled: bool,
    /// ld-rs was started as a command (`ld-rs.so PROGRAM`), not as the
    /// program's interpreter.
    pub invoked_explicitly: bool,
    /// The audit modules and their records (`audit.rs`); `None` without any,
    /// so no path pays more than one test for the interface.
    pub audit: Option<Box<crate::audit::Audit>>,
    /// Audit modules loaded at start-up and not yet asked their version:
    /// the name given, the module, and what it needs.
    pub audit_candidates: Vec<(Vec<u8>, DsoId)>,
    /// Computes the capability subdirectory names (`Runtime::search_caps`).
    pub search_caps: Option<crate::search::CapsFn>,
    /// The launch cache, during start-up when `LD_RS_CACHE` is set
    /// (`launch.rs`).
    pub launch: Option<Box<crate::launch::Launch>>,
}

/// The linker state, published once start-up has relocated everything.
static LINKER: AtomicPtr<Linker> = AtomicPtr::new(core::ptr::null_mut());

/// The linker state, for the run-time entry points (lazy binding, fini).
///
/// Run-time callers may be on several threads at once.  What they do with
/// the state is read it, except for writing values that every thread
/// computes identically (a PLT slot, the first `STB_GNU_UNIQUE` binding of a
/// name).  `dlopen` and `dlclose`, which change the link map, run under the
/// C library's load lock (see `glibc/dl.rs`), as glibc's own do; a lazy
/// binding racing with them reads a table that is only ever extended.
pub fn linker() -> Option<&'static mut Linker> {
    let p = LINKER.load(Ordering::Acquire);
    // SAFETY: a non-null pointer comes from `Box::leak` at the end of start-up
    // and is never freed; see above for how concurrent use is kept benign.
    unsafe { p.as_mut() }
}

/// From the kernel's hand-off to the program's entry point.
pub fn run(mut st: Startup) -> Handover {
    // A test build: which system call to fail (`fail.rs`).
    #[cfg(feature = "fail-inject")]
    crate::fail::arm(st.env());
    if crate::runtime().read_settings(&st) {
        st.aux.secure = 1;
    }
    let mut cfg = Config::from_env(&st);
    if cfg.secure {
        // A privileged program does not pass on what could steer the
        // loader or libc of the programs it runs (glibc's unsecure list).
        st.remove_env(crate::runtime().unsecure_env());
    }
    // LD_DEBUG: from here on, the categories asked for are traced.
    if cfg.debug != 0 {
        crate::debug::start(cfg.debug, cfg.debug_output.as_deref());
    }
    // statistics: start-up is timed as glibc times it, from after the CPU
    // was examined (glibc examines it while relocating itself, and reads
    // its clock again after that).  Under a hypervisor that traps CPUID,
    // each CPUID costs up to hundreds of thousands of cycles, which would
    // otherwise be most of what the report shows.
    let t_start = if debug::on(debug::STATISTICS) {
        crate::runtime().examine_cpu(&st);
        arch::cycles()
    } else {
        0
    };
    // Started as a command (`ld-rs.so PROGRAM`) rather than as an interpreter?
    // Then the kernel's entry point is our own.
    let explicit = st.aux.entry == arch::own_entry();
    // The name we were started by, before the command line is consumed.
    let own_argv0 = st.arg(0);
    let mut program_path: &'static [u8] = b"";
    // `--help`, and whether a program was named after it.
    let mut help: Option<Option<usize>> = None;
    if explicit {
        diag::set_progname(st.arg(0));
        match config::parse_command_line(&st, &mut cfg) {
            Command::Program { index } => {
                program_path = st.arg(index);
                // SAFETY: nothing holds pointers into the stack area that moves.
                unsafe { st.drop_args(index) };
            }
            Command::Help { index } => {
                help = Some(index);
                if let Some(i) = index {
                    program_path = st.arg(i);
                }
            }
            Command::Tunables => {
                crate::runtime().list_tunables(&st);
                sys::exit(0);
            }
            Command::Diagnostics => {
                crate::runtime().list_diagnostics(&st);
                sys::exit(0);
            }
            Command::Print(text) => {
                sys::write_all(1, text);
                sys::exit(0);
            }
            Command::Usage(msg) => {
                Msg::new().s(diag::progname()).s(b": ").s(&msg).write_line(2);
                Msg::new()
                    .s(b"Try '")
                    .s(diag::progname())
                    .s(b" --help' for more information.")
                    .write_line(2);
                sys::exit(1);
            }
        }
        if let Some(argv0) = cfg.argv0 {
            // SAFETY: argv[0] is ours to replace; the new string lives on the stack too.
            unsafe { *st.argv = argv0.as_ptr() };
        }
    }
    diag::set_progname(st.arg(0));

    let page = st.aux.pagesz;
    let ld: &'static mut Linker = Box::leak(Box::new(Linker {
        config: cfg,
        objs: Objects::default(),
        namespaces: core::array::from_fn(|_| Namespace::default()),
        created: Vec::new(),
        relocating: core::sync::atomic::AtomicBool::new(false),
        closing: false,
        close_again: false,
        load_lock: |_| {},
        record_mapped: |_, _, _| {},
        started: false,
        trace_missing: Vec::new(),
        argv: (0, 0, 0),
        tls: crate::tls::TlsState::default(),
        page,
        cache: Default::default(),
        caps: None,
        paths: None,
        search_caps: None,
        loading_root: false,
        root_uncalled: false,
        invoked_explicitly: false,
        audit: None,
        audit_candidates: Vec::new(),
        launch: None,
    }));
    let mut runtime = crate::runtime();
    ld.search_caps = Some(runtime.search_caps(&st));
    // Published at once: IFUNC resolvers and initializers may already call
    // through lazily bound PLT slots.
    LINKER.store(ld, Ordering::Release);

    // help: glibc maps a program named after `--help`, so that the text
    // shows its search path; one that cannot be mapped is left out.
    if let Some(index) = help {
        if index.is_some() {
            let _ = ld.map_program(program_path, &mut st);
        }
        let caps = runtime.help_caps(
            &st,
            ld.config.hwcaps_prepend.as_deref(),
            ld.config.hwcaps_mask.as_deref(),
            &ld.config.platform,
        );
        ld.print_help(own_argv0, &caps);
    }

    // The program: already mapped by the kernel, or mapped now.
    if explicit && ld.config.mode == Mode::Verify {
        sys::exit(verify(program_path));
    }
    // A privileged program is never traced (glibc exits with status 5).
    if ld.config.secure && ld.config.mode == Mode::List {
        sys::exit(5);
    }
    // A program that is not dynamically linked at all goes to the kernel.
    if explicit && ld.config.mode == Mode::Run && !ld.config.cache_info && map::is_static_exec(program_path) {
        chain_load(program_path, &st);
    }
    let main = if explicit {
        ld.map_program(program_path, &mut st)
    } else {
        ld.add_kernel_program(&st)
    };
    let main = main.unwrap_or_else(|e| e.die());
    // ld-rs itself, so its name is known when a library asks for it.
    ld.add_self(if explicit { Some(own_argv0) } else { None });
    ld.invoked_explicitly = explicit;
    // A loader named as the program is refused (glibc's check, by soname);
    // a program that needs nothing and names no interpreter (a static PIE)
    // goes to the kernel, as glibc hands it on.
    if explicit && ld.config.mode == Mode::Run {
        ld.refuse_loader(main);
        let m = &ld.objs[main];
        if m.dynamic.needed_count == 0 && !m.phdrs.iter().any(|p| p.p_type == PT_INTERP) {
            chain_load(program_path, &st);
        }
    }
    // audit: the events of start-up are recorded from here for the audit
    // modules (`LD_AUDIT`, `--audit`, the program's `DT_AUDIT`), which can
    // only run once the program's libraries are loaded and relocated.
    if ld.wants_audit(main) {
        ld.begin_audit(main);
    }
    // The vDSO the kernel maps into every process is an object too.
    ld.add_vdso(&st);
    if let (Some(a), Some(v)) = (ld.audit.as_deref_mut(), ld.objs.position(|d| d.kind == Kind::Vdso)) {
        a.open(v, crate::namespace::BASE);
    }
    runtime.vdso_loaded(ld);
    // audit: the modules themselves, before the program's libraries, as
    // glibc maps them (what they need is loaded after).
    ld.map_audit_modules(main);

    // cache-info: whether the program's launch records are valid, and why not.
    if ld.config.cache_info {
        crate::launch::info(ld, &st, program_path);
    }
    // launch: with LD_RS_CACHE, a valid record of an earlier start gives
    // the files to map and every binding (`launch.rs`); else this start is
    // recorded.
    ld.launch = crate::launch::begin(ld, &st, explicit, program_path);
    // load: every DT_NEEDED, breadth-first (or the recorded files).
    let stats = debug::on(debug::STATISTICS);
    let t_load = if stats { arch::cycles() } else { 0 };
    if let Err(e) = ld
        .load_recorded()
        .and_then(|warm| if warm { Ok(()) } else { ld.load_deps(main) })
    {
        e.die();
    }
    let t_load = if stats { arch::cycles().wrapping_sub(t_load) } else { 0 };
    // stack: a library that needs an executable stack gets one, as in glibc.
    ld.make_stack_executable_if_needed(st.sp as usize, explicit);
    // trace: `ldd` and `--list` stop here, with their report.
    if ld.config.mode == Mode::List {
        ld.trace();
    }
    if ld.config.mode == Mode::Verify {
        sys::exit(0);
    }
    // check: every required symbol version exists.
    ld.check_versions();
    if debug::on(debug::SCOPES) {
        ld.debug_scopes();
    }
    // tls: module ids and static offsets; then the C library's view of
    // the process (thread pointer, its records of our objects).
    let tls = ld.layout_static_tls();
    ld.tls.static_used = tls.used;
    ld.tls.static_nelem = tls.max_modid;
    if let Err(e) = runtime.before_relocation(ld, &st, tls) {
        e.die();
    }
    // relocate: in initialization order — each object after the objects it
    // needs, the program last — so an IFUNC resolver or a COPY relocation
    // only ever reads an object that is already relocated (as glibc walks
    // `l_initfini` backwards).
    let scope = ld.global(BASE).to_vec();
    let order = crate::init::init_order(ld, &scope);
    let t_reloc = if stats { arch::cycles() } else { 0 };
    for &id in &order {
        if matches!(ld.objs[id].kind, Kind::Interpreter | Kind::Vdso) {
            continue;
        }
        ld.launch_enter(Some(id));
        if let Err(e) = ld.relocate(id, &scope) {
            e.die();
        }
        ld.launch_enter(None);
    }
    runtime.relocated(ld);
    if debug::on(debug::RELOC) {
        ld.debug_self_relocation();
    }
    let t_reloc = if stats { arch::cycles().wrapping_sub(t_reloc) } else { 0 };
    // relro: what was writable only for relocation becomes read-only.
    for &id in &scope {
        if let Err(e) = ld.protect_relro(id) {
            e.die();
        }
    }
    if let Err(e) = runtime.before_init(ld, &st) {
        e.die();
    }
    // cache: let go, so that a later dlopen reads what ldconfig wrote since.
    ld.cache.release();
    // relro: ld-rs's own too, now that start-up has written its last
    // relocated static (the C library's read-only record among them).
    if let Err(e) = ld.protect_own_relro() {
        e.die();
    }
    // launch: the record of this start, if it was recorded.
    ld.finish_launch();
    if stats {
        ld.print_statistics(arch::cycles().wrapping_sub(t_start), t_reloc, t_load);
    }
    ld.launch = None;
    // init: preinit, then every object's initializers, dependencies first.
    let entry = ld.objs[main].entry;
    ld.started = true;
    ld.argv = (st.argc, st.argv as usize, st.envp as usize);
    // audit: each module loaded into its namespace and initialized, then
    // start-up's events.
    ld.init_audit_modules(main, &mut runtime);
    // SAFETY: every object in `order` is mapped and relocated.
    unsafe {
        ld.run_preinit(st.argc, st.argv, st.envp);
        ld.run_inits(&order, st.argc, st.argv, st.envp);
    }
    #[cfg(feature = "fail-inject")]
    crate::fail::program_starts();
    Handover {
        entry,
        sp: st.sp as usize,
    }
}

impl Linker {
    /// Records the kernel-mapped program, found through `AT_PHDR`.
    fn add_kernel_program(&mut self, st: &Startup) -> Result<DsoId, LoadError> {
        // SAFETY: AT_PHDR/AT_PHNUM describe the program headers the kernel mapped.
        let phdrs: &'static [Phdr] = unsafe { core::slice::from_raw_parts(st.aux.phdr as *const Phdr, st.aux.phnum) };
        // The load bias: where PT_PHDR says the headers are, against where they are.
        let base = phdrs
            .iter()
            .find(|p| p.p_type == PT_PHDR)
            .map_or(0, |p| st.aux.phdr.wrapping_sub(p.p_vaddr as usize));
        let (lo, hi) = crate::dso::span(phdrs);
        // SAFETY: the kernel mapped every PT_LOAD of the program in [lo, hi) + base,
        // for the life of the process.
        let image = unsafe { map::image_of(base.wrapping_add(lo as usize), (hi - lo) as usize, lo, phdrs) };
        let mut dso = Dso::new(Kind::Main, Vec::new(), Vec::new(), base, phdrs, image)
            .map_err(|e| LoadError::new(diag::LOADING, diag::progname(), e.0.as_bytes()))?;
        dso.entry = st.aux.entry;
        dso.origin = Some(self_exe_dir());
        Ok(self.push(dso))
    }

    /// Maps the program named on our command line and points the auxiliary
    /// vector at it, as if the kernel had loaded it.
    fn map_program(&mut self, path: &'static [u8], st: &mut Startup) -> Result<DsoId, LoadError> {
        let err = |msg: &[u8]| LoadError::new(diag::LOADING, path, msg);
        // A name without a slash is looked for, as glibc does.
        let (real, file) = if !path.contains(&b'/') {
            match self.find_program(path) {
                Ok(f) => (f.path, f.file),
                Err(SearchError::NotFound(e)) if e.0 == 0 => return Err(err(b"cannot open shared object file")),
                Err(SearchError::NotFound(e)) => return Err(err(b"cannot open shared object file").with_errno(e)),
                Err(SearchError::WrongClass) => return Err(err(b"wrong ELF class: ELFCLASS32")),
                Err(SearchError::Bad(at, why)) => return Err(LoadError::new(diag::LOADING, &at, why.as_bytes())),
                Err(SearchError::Read(at, e)) => {
                    return Err(LoadError::new(diag::LOADING, &at, b"cannot read file data").with_errno(e))
                }
            }
        } else {
            (path.to_vec(), self.open_program(path)?)
        };
        if debug::on(debug::FILES) {
            debug::print(
                Msg::new()
                    .s(b"file=")
                    .s(path)
                    .s(b" [0];  generating link map\n")
                    .bytes(),
            );
        }
        let mapped = map::map_segments(&file, self.page).map_err(|e| err(e.as_bytes()))?;
        let mut dso = Dso::new(
            Kind::Main,
            real.clone(),
            path.to_vec(),
            mapped.base,
            mapped.phdrs,
            mapped.image,
        )
        .map_err(|e| err(e.0.as_bytes()))?;
        dso.dev = file.dev;
        dso.ino = file.ino;
        dso.file_id = file.id;
        dso.entry = mapped.base.wrapping_add(file.ehdr.e_entry as usize);
        dso.origin = Some(dirname_abs(&real));
        let phdr_addr = phdr_address(&file, &mapped);
        if debug::on(debug::FILES) {
            crate::report::debug_link_map(&dso, dso.entry, phdr_addr);
        }
        st.set_aux(AT_PHDR, phdr_addr);
        st.set_aux(AT_PHNUM, mapped.phdrs.len());
        st.set_aux(AT_ENTRY, dso.entry);
        st.set_aux(AT_EXECFN, path.as_ptr() as usize);
        dso.phdr_copy = Some(mapped.phdr_copy);
        Ok(self.push(dso))
    }

    /// Opens the program named by a path on our command line.
    fn open_program(&self, path: &[u8]) -> Result<map::Opened, LoadError> {
        let err = |msg: &[u8]| LoadError::new(diag::LOADING, path, msg);
        match map::open_verify(path) {
            Ok(f) => Ok(f),
            Err(map::OpenError::Sys(e)) => Err(err(b"cannot open shared object file").with_errno(e)),
            Err(map::OpenError::Bad(why)) => Err(err(why.as_bytes())),
            Err(map::OpenError::Read(e)) => Err(err(b"cannot read file data").with_errno(e)),
            Err(map::OpenError::WrongClass) => Err(err(b"wrong ELF class: ELFCLASS32")),
            Err(map::OpenError::WrongMachine) => {
                Err(err(b"cannot open shared object file").with_errno(sys::Errno::ENOENT))
            }
        }
    }

    /// Records ld-rs itself in the link map, under the name the program's
    /// `PT_INTERP` gave it (or our own path when run as a command).
    fn add_self(&mut self, invoked_as: Option<&'static [u8]>) {
        // Known by the program's PT_INTERP name; when run as a command, its
        // path is the name it was invoked by (as glibc's `l_name`).
        let requested = self.interp_name();
        let name = invoked_as.map_or_else(|| requested.clone(), |a| a.to_vec());
        if let Some(mut dso) = self_dso(name, requested) {
            dso.relocated = true;
            self.push(dso);
        }
    }

    /// Exits with glibc's line when the program has our own `DT_SONAME`: it
    /// is a dynamic loader (ours or another of its name), which cannot run
    /// under a loader already in place.
    fn refuse_loader(&self, main: DsoId) {
        let own = self
            .objs
            .iter()
            .find(|d| d.kind == Kind::Interpreter)
            .and_then(|d| d.soname);
        if let (Some(own), Some(soname)) = (own, self.objs[main].soname) {
            if own == soname {
                Msg::new().s(own).s(b": loader cannot load itself").write_line(2);
                sys::exit(127);
            }
        }
    }

    /// Records the kernel's vDSO (`AT_SYSINFO_EHDR`), as glibc does: it is in
    /// the link map (and in `--list`), but in no scope unless asked for.
    fn add_vdso(&mut self, st: &Startup) {
        let ehdr_addr = st.aux.sysinfo_ehdr;
        if ehdr_addr == 0 {
            return;
        }
        // SAFETY: the kernel maps the vDSO image, ELF header first, at AT_SYSINFO_EHDR.
        let ehdr = unsafe { &*(ehdr_addr as *const elf::Ehdr) };
        if ehdr.e_phentsize as usize != core::mem::size_of::<Phdr>() {
            return;
        }
        // SAFETY: its program headers are inside the same mapped image.
        let phdrs: &'static [Phdr] = unsafe {
            core::slice::from_raw_parts(
                (ehdr_addr + ehdr.e_phoff as usize) as *const Phdr,
                ehdr.e_phnum as usize,
            )
        };
        let Some(first) = phdrs.iter().find(|p| p.p_type == PT_LOAD) else {
            return;
        };
        let base = ehdr_addr.wrapping_sub(first.p_vaddr as usize);
        let (lo, hi) = crate::dso::span(phdrs);
        // SAFETY: the vDSO is mapped as one readable image covering its PT_LOADs.
        let bytes: &'static [u8] =
            unsafe { core::slice::from_raw_parts(base.wrapping_add(lo as usize) as *const u8, (hi - lo) as usize) };
        let image = Image::new(bytes, lo, phdrs);
        if let Ok(mut dso) = Dso::new(Kind::Vdso, Vec::new(), Vec::new(), base, phdrs, image) {
            let soname = dso.soname.unwrap_or(b"linux-vdso.so.1").to_vec();
            dso.name = soname.clone();
            dso.requested = soname;
            dso.relocated = true;
            self.push(dso);
        }
    }

    /// The program's `PT_INTERP` string, which is the name glibc gives itself.
    fn interp_name(&self) -> Vec<u8> {
        let main = &self.objs[0];
        for p in main.phdrs.iter().filter(|p| p.p_type == PT_INTERP) {
            if let Ok(bytes) = main.image.cstr(p.p_vaddr) {
                return bytes.to_vec();
            }
        }
        // A program without PT_INTERP (a shared library run as one): the
        // name of the interpreter we replace.
        b"/lib64/ld-linux-x86-64.so.2".to_vec()
    }

    /// Tells the launch cache which object's relocations are processed.
    fn launch_enter(&self, id: Option<DsoId>) {
        if let Some(l) = self.launch.as_deref() {
            l.enter(id);
        }
    }

    fn push(&mut self, dso: alloc::boxed::Box<Dso>) -> DsoId {
        let id = self.objs.insert(dso);
        self.created.push(id);
        id
    }

    /// Loads the dependencies of `root` breadth-first: each object's
    /// `DT_NEEDED` entries in order, every file once.
    fn load_deps(&mut self, root: DsoId) -> Result<(), LoadError> {
        let mut list = alloc::vec![root];
        // Preloaded objects come right after the program, so they interpose
        // on everything its libraries define.
        let lists = [
            (self.config.preload.clone(), &b"LD_PRELOAD"[..]),
            (self.config.preload_arg.clone(), b"--preload"),
        ];
        for (preload, origin) in lists {
            let Some(preload) = preload else { continue };
            for name in preload.split(|&c| c == b' ' || c == b':').filter(|n| !n.is_empty()) {
                // A privileged program takes no preload named by path (ld.so(8)).
                if self.config.secure && name.contains(&b'/') {
                    continue;
                }
                self.preload(name, origin, root, &mut list);
            }
        }
        // Then the system's own list, which only root can write: a path in it
        // is honoured in secure mode too.
        if let Some(mut text) = read_preload_file() {
            for name in preload_file_names(&mut text) {
                self.preload(name, PRELOAD_FILE, root, &mut list);
            }
        }
        self.load_closure(&mut list)?;
        self.set_global(BASE, list);
        Ok(())
    }

    /// Loads one preloaded object named `name` by `origin` (`LD_PRELOAD`,
    /// `--preload`, the preload file) and appends it to `list`; one that
    /// cannot be loaded is reported and skipped, as glibc's `do_preload` does.
    fn preload(&mut self, name: &[u8], origin: &[u8], root: DsoId, list: &mut Vec<DsoId>) {
        let name: &'static [u8] = Vec::leak(name.to_vec());
        // A privileged program preloads only set-user-ID libraries from the
        // system's own directories when a name is searched for (ld.so(8)).
        let setuid_ok = !self.config.secure
            || name.contains(&b'/')
            || matches!(self.find_library(name, root), Ok(f) if f.file.mode & 0o4000 != 0);
        let loaded = if setuid_ok {
            self.load_one(name, root, BASE)
        } else {
            Err(LoadError::new(diag::LOADING, name, b"cannot open shared object file"))
        };
        match loaded {
            Ok(id) if !list.contains(&id) => list.push(id),
            Ok(_) => {}
            Err(e) => {
                // A replay would not print this: no record of this start.
                if let Some(l) = self.launch.as_deref_mut() {
                    l.spoiled = true;
                }
                // A missing preload is a warning, as in glibc.
                let mut why = Msg::new().s(&e.message);
                if e.errno.is_some() && e.message.is_empty() {
                    why = why.s(b"error");
                }
                Msg::new()
                    .s(b"ERROR: ld.so: object '")
                    .s(name)
                    .s(b"' from ")
                    .s(origin)
                    .s(b" cannot be preloaded (")
                    .s(why.bytes())
                    .s(b"): ignored.")
                    .write_line(2);
            }
        }
    }

    /// Extends `list` (which starts with a root object) breadth-first with
    /// every object its members need, loading what is not loaded yet into
    /// the namespace of the object that needs it.
    ///
    /// # Filters
    /// An object with `DT_FILTER` or `DT_AUXILIARY` entries is a *filter*:
    /// the objects they name (its filtees) go into the list just before it,
    /// in the order named, so every lookup through the list meets a
    /// filtee's definitions before the filter's own, and the filter's are
    /// used only for names no filtee defines.  That is all glibc 2.36 does
    /// with them (elf/dl-deps.c): a filtee already earlier in the list stays
    /// where it is, one later is moved up.  A missing `DT_AUXILIARY` filtee
    /// is ignored; a missing `DT_FILTER` one fails the load as a missing
    /// `DT_NEEDED` does.  Filtees are dependencies (`needed`): initialized
    /// before the filter and kept loaded while it is.
    pub fn load_closure(&mut self, list: &mut Vec<DsoId>) -> Result<(), LoadError> {
        let mut done: Vec<bool> = Vec::new();
        let mut next = 0;
        while next < list.len() {
            let id = list[next];
            if done.len() <= id {
                done.resize(id + 1, false);
            }
            if core::mem::replace(&mut done[id], true) {
                next += 1;
                continue;
            }
            // Filtees placed before `id` are searched next (their own
            // dependencies join the end of the list); `id` is done.
            next = match self.load_deps_of(id, list)? {
                Some(first) => first,
                None => next + 1,
            };
        }
        Ok(())
    }

    /// Loads what object `id` (in `list`) names and places it in `list`:
    /// dependencies at the end, filtees just before `id`.  Returns where
    /// the first filtee placed before `id` now is, if any was.
    fn load_deps_of(&mut self, id: DsoId, list: &mut Vec<DsoId>) -> Result<Option<usize>, LoadError> {
        let mut first_filtee = None;
        let mut place_filtee = |list: &mut Vec<DsoId>, filtee: DsoId| {
            let Some(at) = list.iter().position(|&x| x == id) else {
                return;
            };
            match list.iter().position(|&x| x == filtee) {
                Some(i) if i < at => return,
                Some(i) => {
                    list.remove(i);
                }
                None => {}
            }
            list.insert(at, filtee);
            first_filtee.get_or_insert(at);
        };
        if !self.objs[id].needed.is_empty() {
            // Already loaded earlier with its dependencies: add them as they are.
            for dep in self.objs[id].needed.clone() {
                if self.objs[id].filtees.contains(&dep) {
                    place_filtee(list, dep);
                } else if !list.contains(&dep) {
                    list.push(dep);
                }
            }
            return Ok(first_filtee);
        }
        let names: Vec<(i64, &'static [u8])> = self.objs[id].dependency_names().collect();
        for (tag, name) in names {
            if tag != DT_NEEDED && debug::on(debug::LIBS) {
                let who: &[u8] = match self.objs[id].l_name() {
                    b"" => b"<main program>",
                    n => n,
                };
                let line = Msg::new()
                    .s(b"load auxiliary object=")
                    .s(name)
                    .s(b" requested by file=")
                    .s(who);
                debug::print(line.s(b"\n").bytes());
            }
            let dep = match self.load_one(name, id, self.objs[id].ns) {
                Ok(dep) => dep,
                // `ldd` lists a library it cannot find and goes on; a missing
                // filtee is listed where it would have gone, before its filter.
                Err(e) if self.config.trace_env && e.errno.is_some() => {
                    let at = match tag {
                        DT_NEEDED => list.len(),
                        _ => list.iter().position(|&x| x == id).unwrap_or(list.len()),
                    };
                    self.trace_missing.push((at, name.to_vec()));
                    continue;
                }
                // An auxiliary filtee may be missing, or bad: the filter serves
                // alone.  (A bad file is none the launch cache watches: no
                // record of this start.)
                Err(_) if tag == DT_AUXILIARY => {
                    if let Some(l) = self.launch.as_deref_mut() {
                        l.spoiled = true;
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !self.objs[id].needed.contains(&dep) {
                self.objs[id].needed.push(dep);
            }
            if tag == DT_NEEDED {
                if !list.contains(&dep) {
                    list.push(dep);
                }
            } else {
                if !self.objs[id].filtees.contains(&dep) {
                    self.objs[id].filtees.push(dep);
                }
                place_filtee(list, dep);
            }
        }
        Ok(first_filtee)
    }

    /// Finds, maps and records in namespace `ns` the library `name` needed
    /// by `from` (or returns the object of `ns` already loaded under that
    /// name or from that file).
    pub fn load_one(&mut self, name: &[u8], from: DsoId, ns: NsId) -> Result<DsoId, LoadError> {
        // ld-rs itself, the first time a namespace other than the base one
        // needs it: glibc's loader has no record of itself there yet, so it
        // looks for the name as for any library (told to the audit modules,
        // shown by LD_DEBUG) before it knows itself in the file found.
        let loader_here = match self.find_loaded(name, ns) {
            Some(id)
                if ns != BASE
                    && self.objs[id].kind == Kind::Interpreter
                    && !self.objs.iter().any(|d| d.ns == ns && d.needed.contains(&id)) =>
            {
                Some(id)
            }
            Some(id) => return Ok(id),
            None => None,
        };
        // audit: the name searched for, as the modules rename it (not a
        // root glibc's loader opens without a calling object: no object's
        // cookie could name the search).
        let renamed;
        let uncalled = self.loading_root && self.root_uncalled;
        let name: &[u8] = match self.audit.as_deref_mut().filter(|_| !uncalled) {
            None => name,
            Some(a) => match a.search(name, from, crate::audit::LA_SER_ORIG) {
                Some(n) => {
                    renamed = n;
                    &renamed
                }
                None => {
                    return Err(LoadError::new(diag::LOADING, name, b"cannot open shared object file")
                        .with_errno(sys::Errno::ENOENT))
                }
            },
        };
        if debug::on(debug::FILES) && !(self.loading_root && self.root_uncalled) {
            let how: &[u8] = if self.loading_root {
                b";  dynamically loaded by "
            } else {
                b";  needed by "
            };
            let line = Msg::new()
                .s(b"\nfile=")
                .s(name)
                .s(b" [")
                .dec(ns as u64)
                .s(b"]")
                .s(how)
                .s(self.objs[from].display_name())
                .s(b" [")
                .dec(self.objs[from].ns as u64);
            debug::print(line.s(b"]\n").bytes());
        }
        if let Some(id) = loader_here {
            if let Ok(found) = self.search_file(name, from) {
                self.namespaces[ns].loader_record = self.loader_record_name(id, &found);
                self.namespaces[ns].loader_file = found.path;
            }
            // The namespace's record of ld-rs; under some releases the
            // modules are told of it, in its place among the new objects.
            if self.audit.is_some() {
                (self.record_mapped)(self, id, ns);
                if self.config.audit_rules.loader_record_opened {
                    let head = self.namespace_head(ns).unwrap_or(id);
                    if let Some(a) = self.audit.as_deref_mut() {
                        a.mapped(id, ns, head);
                    }
                }
            }
            return Ok(id);
        }
        let found = self.search_file(name, from)?;
        if let Some(id) = self.loaded_file(&found, ns) {
            return Ok(id);
        }
        self.map_library(name, found, from, ns)
    }

    /// The name of the record a namespace keeps of ld-rs (object `me`),
    /// whose search for it found `found`: that file's path, as glibc's
    /// loader names the record, when the file is ld-rs; otherwise (the
    /// search found another loader, glibc's) ld-rs's own file, which a
    /// debugger reads the record's symbols from.
    fn loader_record_name(&self, me: DsoId, found: &Found) -> Vec<u8> {
        let own = if self.invoked_explicitly {
            let mut buf = [0u8; 4096];
            match sys::readlink(b"/proc/self/exe\0", &mut buf) {
                Ok(n) if n < buf.len() => buf[..n].to_vec(),
                _ => return self.objs[me].name.clone(),
            }
        } else {
            self.objs[me].requested.clone()
        };
        let mut path = own.clone();
        path.push(0);
        let same = sys::CPath::new(&path)
            .and_then(|p| sys::stat_path(&p).ok())
            .is_some_and(|st| st.st_dev == found.file.dev && st.st_ino == found.file.ino);
        if same {
            found.path.clone()
        } else {
            own
        }
    }

    /// Maps the library file `found`, asked for as `name` by object `from`,
    /// and records it in namespace `ns` (the part of `load_one` after the
    /// search, which a start from the launch cache does alone).
    pub fn map_library(&mut self, name: &[u8], found: Found, from: DsoId, ns: NsId) -> Result<DsoId, LoadError> {
        // Errors past this point name the object as it was asked for, as glibc's do.
        let err = |msg: &[u8]| LoadError::new(diag::LOADING, name, msg);
        if found.file.ehdr.e_type != ET_DYN {
            return Err(err(b"cannot dynamically load executable"));
        }
        if debug::on(debug::FILES) {
            debug::print(
                Msg::new()
                    .s(b"file=")
                    .s(name)
                    .s(b" [")
                    .dec(ns as u64)
                    .s(b"];  generating link map\n")
                    .bytes(),
            );
        }
        let mapped = map::map_segments(&found.file, self.page).map_err(|e| err(e.as_bytes()))?;
        let decoded = Dso::new(
            Kind::Library,
            found.path.clone(),
            name.to_vec(),
            mapped.base,
            mapped.phdrs,
            mapped.image,
        )
        .map_err(|e| e.0.as_bytes())
        .and_then(|d| {
            // A position-independent executable is a program, not a library.
            if d.dynamic.flags_1 & DF_1_PIE != 0 {
                Err(&b"cannot dynamically load position-independent executable"[..])
            } else if self.started && d.dynamic.flags_1 & DF_1_NOOPEN != 0 {
                // Linked `-z nodlopen`: loaded at start-up only.
                Err(&b"shared object cannot be dlopen()ed"[..])
            } else {
                Ok(d)
            }
        });
        let mut dso = match decoded {
            Ok(d) => d,
            Err(why) => {
                // SAFETY: the mapping was just made and nothing refers into it.
                let _ = unsafe {
                    sys::munmap(
                        mapped.base.wrapping_add(crate::dso::span(mapped.phdrs).0 as usize),
                        mapped.image_len(),
                    )
                };
                return Err(err(why));
            }
        };
        dso.dev = found.file.dev;
        dso.ino = found.file.ino;
        dso.file_id = found.file.id;
        // The object `dlopen` was asked for has no loader: its caller only
        // lent its search path (glibc's `__RTLD_CALLMAP`), so neither the
        // `DT_RPATH` chain of what it needs nor its record leads back there.
        dso.loader = if self.loading_root { None } else { Some(from) };
        dso.ns = ns;
        dso.origin = Some(dirname_abs(&found.path));
        if debug::on(debug::FILES) {
            let entry = dso.base.wrapping_add(found.file.ehdr.e_entry as usize);
            crate::report::debug_link_map(&dso, entry, phdr_address(&found.file, &mapped));
        }
        dso.phdr_copy = Some(mapped.phdr_copy);
        let id = self.push(dso);
        if self.audit.is_some() {
            (self.record_mapped)(self, id, ns);
            // The modules name a namespace by its first object.
            let head = self.namespace_head(ns).unwrap_or(id);
            if let Some(a) = self.audit.as_deref_mut() {
                a.mapped(id, ns, head);
            }
        }
        Ok(id)
    }

    /// Searches for the library file `name` as object `from` would need it,
    /// with the error glibc gives when there is none.
    pub fn search_file(&mut self, name: &[u8], from: DsoId) -> Result<Found, LoadError> {
        match self.find_library(name, from) {
            Ok(f) => Ok(f),
            Err(SearchError::NotFound(e)) => {
                Err(LoadError::new(diag::LOADING, name, b"cannot open shared object file")
                    .with_errno(e)
                    .with_context(diag::Context::Missing { from }))
            }
            Err(SearchError::WrongClass) => Err(LoadError::new(diag::LOADING, name, b"wrong ELF class: ELFCLASS32")
                .with_context(diag::Context::Missing { from })),
            Err(SearchError::Bad(path, why)) => Err(LoadError::new(diag::LOADING, &path, why.as_bytes())),
            Err(SearchError::Read(path, e)) => {
                Err(LoadError::new(diag::LOADING, &path, b"cannot read file data").with_errno(e))
            }
        }
    }

    /// `$ORIGIN` of object `id`.
    pub fn origin_of(&self, id: DsoId) -> Vec<u8> {
        self.objs[id].origin.clone().unwrap_or_default()
    }

    /// `/etc/ld.so.cache`, read now if it is not mapped.
    pub fn cache(&mut self) -> Option<elf::Cache<'_>> {
        self.cache.get()
    }

    /// Every version an object requires (`DT_VERNEED`) must be defined by the
    /// library it names.  As glibc, every missing version is reported (one
    /// line each, `PROGRAM: LIBRARY: version `V' not found (required by X)`)
    /// and then the process exits with status 1.
    fn check_versions(&self) {
        if let Err(e) = self.check_versions_of(self.global(BASE)) {
            // Every missing version was reported; glibc exits with status 1.
            let _ = e;
            sys::exit(1);
        }
    }

    /// Checks the version requirements of the objects in `list`, printing
    /// each missing one at start-up; returns the first as an error.
    pub fn check_versions_of(&self, list: &[DsoId]) -> Result<(), LoadError> {
        let mut first: Option<LoadError> = None;
        for &id in list {
            let dso = &self.objs[id];
            let mut warned: Vec<DsoId> = Vec::new();
            // The requirements come grouped by file: the object found for
            // the last one's file (the same string) serves the next.
            let mut last: Option<(&[u8], DsoId)> = None;
            for &(v, _) in dso.needed_versions() {
                let dep = match last {
                    Some((file, dep)) if core::ptr::eq(file, v.file) => Some(dep),
                    _ => dso.needed.iter().copied().find(|&d| {
                        let o = &self.objs[d];
                        o.soname == Some(v.file) || o.requested == v.file
                    }),
                };
                let Some(dep) = dep else {
                    continue;
                };
                last = Some((v.file, dep));
                let target = &self.objs[dep];
                if debug::on(debug::VERSIONS) {
                    let line = Msg::new()
                        .s(b"checking for version `")
                        .s(v.name)
                        .s(b"' in file ")
                        .s(target.display_name())
                        .ns(target.ns)
                        .s(b" required by file ")
                        .s(dso.display_name())
                        .ns(dso.ns);
                    debug::print(line.s(b"\n").bytes());
                }
                // The start of an error line, built only for an error.
                let line = || {
                    Msg::new()
                        .s(diag::progname())
                        .s(b": ")
                        .s(target.display_name())
                        .s(b": ")
                };
                if target.dynamic.verdef.is_none() {
                    // Linked against a versioned build of a library that has
                    // no versions now: glibc only warns, once per library.
                    if !warned.contains(&dep) {
                        warned.push(dep);
                        let msg = Msg::new()
                            .s(b"no version information available (required by ")
                            .s(dso.display_name())
                            .s(b")");
                        debug::error(
                            target.display_name(),
                            b"version lookup error",
                            msg.bytes(),
                            !self.started,
                        );
                        line().s(msg.bytes()).write_line(2);
                    }
                    continue;
                }
                if !target
                    .versions
                    .iter()
                    .any(|d| d.hash == v.hash && d.file.is_empty() && d.name == v.name)
                {
                    let msg = Msg::new()
                        .s(b"version `")
                        .s(v.name)
                        .s(b"' not found (required by ")
                        .s(dso.display_name())
                        .s(b")");
                    debug::error(
                        target.display_name(),
                        b"version lookup error",
                        msg.bytes(),
                        !self.started,
                    );
                    if !self.started {
                        line().s(msg.bytes()).write_line(2);
                        crate::explain::missing_version(self, dep, v.name, dso.display_name());
                    }
                    if first.is_none() {
                        let mut e = LoadError::new(b"", target.display_name(), msg.bytes());
                        e.status = 1;
                        first = Some(e);
                    }
                }
            }
            // Then the C library's own conditions on the object: fatal at
            // start-up (and under `--list`), as glibc's exception is.
            if let Err(why) = crate::runtime().check_object(self, id) {
                let e = LoadError::new(diag::LOADING, dso.display_name(), why);
                if !self.started {
                    e.die();
                }
                return Err(first.unwrap_or(e));
            }
        }
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The kernel made the stack executable or not according to the
    /// program's `PT_GNU_STACK`; a library may need more.  An object without
    /// `PT_GNU_STACK` is taken to need an executable stack (the x86_64
    /// default glibc assumes), one with it needs one if its flags say `X`.
    /// A program named on our command line (`explicit`) was not seen by the
    /// kernel, which made the stack as ld-rs's own header asks.
    fn make_stack_executable_if_needed(&self, sp: usize, explicit: bool) {
        let skip = if explicit { 0 } else { 1 };
        if !self
            .global(BASE)
            .iter()
            .skip(skip)
            .any(|&id| self.objs[id].needs_exec_stack())
        {
            return;
        }
        // PROT_GROWSDOWN extends the change from this page down to the start
        // of the stack mapping, as glibc's `_dl_make_stack_executable` does.
        const PROT_GROWSDOWN: usize = 0x0100_0000;
        let page = sp & !(self.page - 1);
        let prot = sys::PROT_READ | sys::PROT_WRITE | sys::PROT_EXEC | PROT_GROWSDOWN;
        // SAFETY: only adds execute permission to the stack we are running on.
        let _ = unsafe { sys::mprotect(page, self.page, prot) };
    }

    /// Makes `PT_GNU_RELRO` read-only (ld-rs's own waits for the end of
    /// start-up, the vDSO's is the kernel's).  A failure is glibc's error
    /// (`_dl_protect_relro`): an object that stays writable where its
    /// linker asked for read-only is not run.
    pub fn protect_relro(&self, id: DsoId) -> Result<(), LoadError> {
        let dso = &self.objs[id];
        if matches!(dso.kind, Kind::Interpreter | Kind::Vdso) {
            return Ok(());
        }
        self.mprotect_relro(dso)
    }

    /// Makes ld-rs's own `PT_GNU_RELRO` read-only: its GOT, `.dynamic`,
    /// `.data.rel.ro` and `_rtld_global_ro`, as glibc's loader protects its
    /// own at the end of start-up.  Nothing of the loader writes there
    /// afterwards: statics that change are mutable, which puts them in
    /// `.data` or `.bss`.
    fn protect_own_relro(&self) -> Result<(), LoadError> {
        match self.objs.iter().find(|d| d.kind == Kind::Interpreter) {
            Some(dso) => self.mprotect_relro(dso),
            None => Ok(()),
        }
    }

    fn mprotect_relro(&self, dso: &Dso) -> Result<(), LoadError> {
        // Dso::new checked that the range lies inside the object's segments.
        for p in dso.phdrs.iter().filter(|p| p.p_type == PT_GNU_RELRO) {
            let start = dso.base.wrapping_add(p.p_vaddr as usize) & !(self.page - 1);
            let end = dso.base.wrapping_add(p.p_vaddr.wrapping_add(p.p_memsz) as usize) & !(self.page - 1);
            if end > start {
                // SAFETY: the object's own RELRO pages; nothing writes them after relocation.
                unsafe { sys::mprotect(start, end - start, sys::PROT_READ) }.map_err(|e| {
                    LoadError::new(
                        diag::LOADING,
                        dso.l_name(),
                        b"cannot apply additional memory protection after relocation",
                    )
                    .with_errno(e)
                })?;
            }
        }
        Ok(())
    }
}

/// The record of ld-rs itself, from its own headers.
fn self_dso(name: Vec<u8>, requested: Vec<u8>) -> Option<alloc::boxed::Box<Dso>> {
    let base = arch::own_ehdr();
    // SAFETY: our own ELF header and program headers, mapped with us.
    let ehdr = unsafe { &*(base as *const elf::Ehdr) };
    // SAFETY: as above; e_phoff/e_phnum come from our own header.
    let phdrs: &'static [Phdr] =
        unsafe { core::slice::from_raw_parts((base + ehdr.e_phoff as usize) as *const Phdr, ehdr.e_phnum as usize) };
    let (lo, hi) = crate::dso::span(phdrs);
    // SAFETY: our own mapping; `Image` confines access to readable PT_LOADs.
    let bytes: &'static [u8] = unsafe { core::slice::from_raw_parts(base as *const u8, (hi - lo) as usize) };
    let image = Image::new(bytes, lo, phdrs);
    Dso::new(Kind::Interpreter, name, requested, base, phdrs, image).ok()
}

/// glibc's chain loading: a program named on our command line that is not
/// dynamically linked is `execve`d, with the arguments it was to get (its
/// `--argv0` included), and the kernel runs it; if the kernel refuses, the
/// reason in glibc's words and status 127.
fn chain_load(path: &[u8], st: &Startup) -> ! {
    let mut c = path.to_vec();
    c.push(0);
    let err = match sys::CPath::new(&c) {
        // SAFETY: argv and envp are the kernel's NULL-terminated arrays (argv
        // less our own options).
        Some(p) => unsafe { sys::execve(&p, st.argv, st.envp) },
        None => sys::Errno::ENOENT,
    };
    let own = self_dso(Vec::new(), Vec::new());
    let msg = Msg::new()
        .s(own.as_ref().and_then(|d| d.soname).unwrap_or(b"ld-rs.so"))
        .s(b": cannot execute ")
        .s(path)
        .s(b": ");
    let msg = match err.name() {
        Some(name) => msg.s(name),
        None => msg.dec(err.0 as u64),
    };
    msg.write_line(2);
    sys::exit(127)
}

/// Where a mapped object's program headers are in memory: where `PT_PHDR`
/// says, or else in the `PT_LOAD` that maps their file offset.
fn phdr_address(file: &map::Opened, mapped: &map::Mapped) -> usize {
    let phoff = file.ehdr.e_phoff;
    let vaddr = mapped
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_PHDR)
        .map(|p| p.p_vaddr)
        .or_else(|| {
            mapped
                .phdrs
                .iter()
                .find(|p| p.p_type == PT_LOAD && p.p_offset <= phoff && phoff < p.p_offset + p.p_filesz)
                .map(|p| p.p_vaddr + (phoff - p.p_offset))
        });
    mapped.base.wrapping_add(vaddr.unwrap_or(0) as usize)
}

impl map::Mapped {
    fn image_len(&self) -> usize {
        let (lo, hi) = crate::dso::span(self.phdrs);
        (hi - lo) as usize
    }
}

/// The system-wide preload list (ld.so(8)): rarely there, so a failed
/// `open` is the whole cost on a normal start.
const PRELOAD_FILE: &[u8] = b"/etc/ld.so.preload";

/// The contents of `/etc/ld.so.preload`, if it exists and can be read.
fn read_preload_file() -> Option<Vec<u8>> {
    let path = sys::CPath::new(b"/etc/ld.so.preload\0")?;
    let fd = sys::open(&path, sys::O_RDONLY, 0).ok()?;
    // A bound for a file meant to hold a few names; more is not read.
    let size = (fd.stat().ok()?.st_size as usize).min(1 << 20);
    let mut text = alloc::vec![0u8; size];
    let n = fd.pread_full(&mut text, 0).ok()?;
    text.truncate(n);
    Some(text)
}

/// The names in the preload file's text, read exactly as glibc 2.36 reads
/// it (elf/rtld.c): names separated by spaces, tabs, newlines or colons, and
/// `#` comments blanked to the end of their line — but glibc's blanking loop
/// never moves its start and shrinks the length it searches, so only the
/// comments it still finds that way are blanked (a second `#` line after a
/// first is usually not, and its words become names).  A last name with no
/// separator after it counts too.  Users see the difference in the error
/// lines glibc prints for such "names", so ld-rs reads the file the same way.
fn preload_file_names(text: &mut [u8]) -> Vec<&[u8]> {
    let is_sep = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b':');
    let mut rest = text.len();
    while let Some(c) = text[..rest].iter().position(|&b| b == b'#') {
        rest -= c;
        let mut i = c;
        loop {
            text[i] = b' ';
            rest -= 1;
            if rest == 0 {
                break;
            }
            i += 1;
            if text[i] == b'\n' {
                break;
            }
        }
    }
    let Some(&last) = text.last() else {
        return Vec::new();
    };
    // The last word when nothing separates it from the end of the file.
    let (main, tail) = if is_sep(last) {
        (&text[..text.len() - 1], None)
    } else {
        let word = text.iter().rposition(|&c| is_sep(c)).map_or(0, |i| i + 1);
        (&text[..word.saturating_sub(1)], Some(&text[word..]))
    };
    // Both parts are C strings to glibc: they end at a NUL byte.
    let c_str = |b: &'_ [u8]| -> usize { b.iter().position(|&c| c == 0).unwrap_or(b.len()) };
    let mut names: Vec<&[u8]> = main[..c_str(main)]
        .split(|&c| is_sep(c))
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(word) = tail {
        let word = &word[..c_str(word)];
        if !word.is_empty() {
            names.push(word);
        }
    }
    names
}

/// `--verify PROGRAM`: glibc's answer, as an exit status — 0 for a
/// dynamically linked program, 2 for a shared library, 1 for anything else
/// (a static program, not ELF, not there, or a `PT_DYNAMIC` with no bytes in
/// the file, as in a separate debug file, which glibc refuses to map: "object
/// file has no dynamic section").  Nothing is printed.
fn verify(path: &[u8]) -> i32 {
    let Ok(file) = map::open_verify(path) else { return 1 };
    let has = |t: u32| file.phdrs.iter().any(|p| p.p_type == t);
    let dynamic = file.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC);
    if dynamic.is_none_or(|p| p.p_filesz == 0) {
        1
    } else if file.ehdr.e_type == ET_EXEC || has(PT_INTERP) {
        0
    } else {
        2
    }
}

/// The directory of the running executable (`/proc/self/exe`), for the
/// program's `$ORIGIN`.
fn self_exe_dir() -> Vec<u8> {
    let mut buf = [0u8; 4096];
    match sys::readlink(b"/proc/self/exe\0", &mut buf) {
        Ok(n) => dirname(&buf[..n]).to_vec(),
        Err(_) => Vec::new(),
    }
}

/// The directory part of a path, made absolute against the current
/// directory the way glibc does it (`$ORIGIN`, `RTLD_DI_ORIGIN`): the current
/// directory, a slash, then the path less its last component, not
/// normalized — so `./lib.so` gives `CWD/.`.
fn dirname_abs(path: &[u8]) -> Vec<u8> {
    let dir = dirname(path);
    if path.starts_with(b"/") {
        return dir.to_vec();
    }
    let mut buf = [0u8; 4096];
    let mut out = match sys::getcwd(&mut buf) {
        Ok(n) => buf[..n].to_vec(),
        Err(_) => return dir.to_vec(),
    };
    if path.contains(&b'/') {
        out.push(b'/');
        out.extend_from_slice(dir);
    }
    out
}

/// Everything before the last slash ("." when there is none).
fn dirname(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => b".",
    }
}
