/**
 * `deno task slurm-local start|stop|status`: a single-node Slurm cluster on
 * this machine, from Debian's packages (`./kit slurm-local start` installs
 * munge, slurmctld, slurmd and slurm-client first when run as root with
 * apt-get). It writes `/etc/slurm/slurm.conf` (one node: this machine, all
 * its CPUs, partition `local`, no cgroups so that it also runs in containers
 * and without systemd), and starts munged, slurmctld and slurmd directly as
 * daemons (pid files under /run). `stop` cancels the local cluster's jobs and
 * ends those daemons by their pid files. Needs root.
 *
 * ```
 * ./kit slurm-local start      # then: deno task ablate <name> --executor slurm --wait
 * ./kit slurm-local status
 * ./kit slurm-local stop
 * ```
 *
 * @module
 */
import { parseCommandLine, UsageError } from "./args.ts";
import { runMain } from "./run_main.ts";

/** Marker on the first line of a slurm.conf written by this command. */
export const CONF_MARKER = "# Written by `deno task slurm-local` (the kit's single-node cluster).";
/** Where the config goes (Slurm's default, so sbatch and squeue need no SLURM_CONF). */
export const CONF_PATH = "/etc/slurm/slurm.conf";
/** The partition of the local cluster. */
export const PARTITION = "local";

const PIDS = {
  munged: "/run/munge/munged.pid",
  slurmctld: "/run/slurmctld.pid",
  slurmd: "/run/slurmd.pid",
} as const;
type Daemon = keyof typeof PIDS;
const BINARIES: Record<Daemon, string> = {
  munged: "/usr/sbin/munged",
  slurmctld: "/usr/sbin/slurmctld",
  slurmd: "/usr/sbin/slurmd",
};
const LOGS: Record<Daemon, string> = {
  munged: "/var/log/munge/munged.log",
  slurmctld: "/var/log/slurm/slurmctld.log",
  slurmd: "/var/log/slurm/slurmd.log",
};
const PACKAGES = "munge slurmctld slurmd slurm-client";

const HELP = `A single-node Slurm cluster on this machine (Debian packages; needs root).

Usage: deno task slurm-local start | stop | status
       ./kit slurm-local start     (also installs ${PACKAGES} with apt-get)

  start    write ${CONF_PATH} (this host, all CPUs, partition "${PARTITION}"),
           start munged, slurmctld and slurmd as daemons, wait until the node is idle
  stop     cancel the cluster's jobs, stop slurmctld, slurmd and munged
  status   daemons, sinfo and squeue
`;

/**
 * slurm.conf of the one-node cluster. `nodeLine`: the first line of
 * `slurmd -C` (`NodeName=<host> CPUs=... RealMemory=...`).
 */
export function slurmConf(nodeLine: string): string {
  const name = /^NodeName=(\S+)/.exec(nodeLine.trim())?.[1];
  if (!name) throw new Error(`slurmd -C printed no NodeName line: "${nodeLine}"`);
  const node = nodeLine.trim().split(/\s+/).filter((f) => !/^UpTime=/.test(f)).join(" ");
  return [
    CONF_MARKER,
    "# Rewritten by `deno task slurm-local start`; stop the cluster before editing by hand.",
    "ClusterName=kitlocal",
    `SlurmctldHost=${name}(127.0.0.1)`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "StateSaveLocation=/var/lib/slurm/slurmctld",
    "SlurmdSpoolDir=/var/lib/slurm/slurmd",
    `SlurmctldPidFile=${PIDS.slurmctld}`,
    `SlurmdPidFile=${PIDS.slurmd}`,
    `SlurmctldLogFile=${LOGS.slurmctld}`,
    `SlurmdLogFile=${LOGS.slurmd}`,
    "# No cgroups: runs in containers and without systemd.",
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "SchedulerType=sched/backfill",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "ReturnToService=2",
    "MpiDefault=none",
    "SchedulerParameters=sched_interval=2",
    "KillWait=30",
    "MinJobAge=300",
    `${node} NodeAddr=127.0.0.1 State=UNKNOWN`,
    `PartitionName=${PARTITION} Nodes=${name} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

async function run(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return {
      ok: out.success,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr).trim(),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { ok: false, stdout: "", stderr: `${cmd}: not found` };
    }
    throw err;
  }
}

/** Starts a daemonising binary with its output discarded (it logs to its own file). */
async function spawnDaemon(cmd: string, args: string[]): Promise<boolean> {
  const st = await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn().status;
  return st.success;
}

async function pidOf(daemon: Daemon): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(PIDS[daemon])).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    // A zombie (exited, not yet reaped: no init reaps it in some containers) is gone.
    return comm.startsWith(daemon.slice(0, 15)) && state !== "Z" ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function logTail(daemon: Daemon): Promise<string> {
  try {
    const lines = (await Deno.readTextFile(LOGS[daemon])).trimEnd().split("\n");
    return lines.slice(-8).join("\n");
  } catch {
    return `(no log at ${LOGS[daemon]})`;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, seconds: number) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

function requireRoot(action: string): void {
  if (Deno.uid() !== 0) {
    throw new UsageError(
      `slurm-local ${action} writes ${CONF_PATH} and runs daemons: run it as root ` +
        `(sudo ./kit slurm-local ${action})`,
    );
  }
}

async function requireBinaries(): Promise<void> {
  const missing: string[] = [];
  for (const b of [...Object.values(BINARIES), "/usr/sbin/mungekey", "/usr/bin/sbatch"]) {
    try {
      await Deno.stat(b);
    } catch {
      missing.push(b);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(", ")}: \`./kit slurm-local start\` installs the Debian packages ` +
        `(${PACKAGES}) when run as root with apt-get; or: apt-get install ${PACKAGES}`,
    );
  }
}

async function chownTo(path: string, user: string): Promise<void> {
  const r = await run("chown", [`${user}:${user}`, path]);
  if (!r.ok) throw new Error(`chown ${user} ${path}: ${r.stderr}`);
}

async function startMunge(): Promise<void> {
  try {
    await Deno.stat("/etc/munge/munge.key");
  } catch {
    const r = await run("/usr/sbin/mungekey", ["--create", "--keyfile", "/etc/munge/munge.key"]);
    if (!r.ok) throw new Error(`mungekey --create failed: ${r.stderr}`);
    await chownTo("/etc/munge/munge.key", "munge");
  }
  for (const dir of ["/run/munge", "/var/log/munge", "/var/lib/munge"]) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
    await chownTo(dir, "munge");
  }
  if (await pidOf("munged")) return;
  // As the munge user, like Debian's service unit (munged refuses root without --force).
  if (!(await spawnDaemon("runuser", ["-u", "munge", "--", BINARIES.munged]))) {
    throw new Error(`munged did not start:\n${await logTail("munged")}`);
  }
  await waitFor("munged", async () => (await run("munge", ["-n"])).ok, 15);
}

async function writeConf(): Promise<boolean> {
  const probe = await run(BINARIES.slurmd, ["-C"]);
  if (!probe.ok) throw new Error(`slurmd -C failed: ${probe.stderr}`);
  const conf = slurmConf(probe.stdout.split("\n")[0]);
  let current: string | undefined;
  try {
    current = await Deno.readTextFile(CONF_PATH);
  } catch { /* none yet */ }
  if (current !== undefined && !current.startsWith(CONF_MARKER)) {
    throw new Error(
      `${CONF_PATH} exists and was not written by slurm-local: this machine has its own Slurm ` +
        `configuration; use that cluster directly, or move the file away to make a local one`,
    );
  }
  if (current === conf) return false;
  await Deno.mkdir("/etc/slurm", { recursive: true });
  await Deno.writeTextFile(CONF_PATH, conf);
  return true;
}

async function nodeState(): Promise<string> {
  const r = await run("sinfo", ["-h", "-N", "-o", "%T"]);
  return r.ok ? r.stdout.trim().split("\n")[0] ?? "" : "";
}

async function start(): Promise<void> {
  requireRoot("start");
  await requireBinaries();
  const t0 = performance.now();
  await startMunge();
  const changed = await writeConf();
  if (changed && ((await pidOf("slurmctld")) || (await pidOf("slurmd")))) {
    console.error("[slurm-local] configuration changed: restarting slurmctld and slurmd");
    await stopSlurm();
  }
  for (const dir of ["/var/lib/slurm/slurmctld", "/var/lib/slurm/slurmd", "/var/log/slurm"]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  for (const d of ["slurmctld", "slurmd"] as const) {
    if (await pidOf(d)) continue;
    if (!(await spawnDaemon(BINARIES[d], []))) {
      throw new Error(`${d} did not start:\n${await logTail(d)}`);
    }
  }
  try {
    await waitFor("the node to come up in sinfo", async () => {
      const s = await nodeState();
      if (/^(down|drain)/.test(s)) {
        const node = (await run("sinfo", ["-h", "-N", "-o", "%N"])).stdout.trim();
        await run("scontrol", ["update", `NodeName=${node}`, "State=RESUME"]);
      }
      return /^(idle|mixed|allocated)/.test(s);
    }, 60);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; slurmctld log:\n${await logTail(
        "slurmctld",
      )}\nslurmd log:\n${await logTail("slurmd")}`,
    );
  }
  const info = (await run("sinfo", ["-h", "-o", "%P %D %c %T %N"])).stdout.trim();
  console.log(
    `slurm-local: up in ${((performance.now() - t0) / 1000).toFixed(1)} s (partition nodes ` +
      `cpus state node: ${info}); config ${CONF_PATH}; logs /var/log/slurm/`,
  );
  console.log(
    "try: sbatch --wrap hostname; squeue; deno task ablate <name> --executor slurm --wait",
  );
}

async function stopSlurm(): Promise<void> {
  const ctld = await pidOf("slurmctld");
  const slurmd = await pidOf("slurmd");
  if (ctld) await run("scontrol", ["shutdown"]);
  for (const [d, pid] of [["slurmctld", ctld], ["slurmd", slurmd]] as const) {
    if (!pid) continue;
    try {
      await waitFor(`${d} to exit`, async () => (await pidOf(d)) === undefined, 15);
    } catch {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
      await waitFor(`${d} to exit after SIGTERM`, async () => (await pidOf(d)) === undefined, 15);
    }
  }
}

async function stop(): Promise<void> {
  requireRoot("stop");
  let conf = "";
  try {
    conf = await Deno.readTextFile(CONF_PATH);
  } catch { /* none */ }
  if (conf && !conf.startsWith(CONF_MARKER)) {
    throw new Error(`${CONF_PATH} was not written by slurm-local: not stopping that cluster`);
  }
  if (await pidOf("slurmctld")) {
    const q = await run("squeue", ["-h", "-o", "%A"]);
    const jobs = [...new Set(q.stdout.split("\n").map((l) => l.trim()).filter(Boolean))];
    if (jobs.length > 0) {
      console.error(
        `[slurm-local] cancelling ${jobs.length} job(s) of the local cluster: ${jobs.join(" ")}`,
      );
      await run("scancel", jobs);
    }
  }
  await stopSlurm();
  const munged = await pidOf("munged");
  if (munged) {
    Deno.kill(munged, "SIGTERM");
    await waitFor("munged to exit", async () => (await pidOf("munged")) === undefined, 15);
  }
  console.log("slurm-local: stopped (slurmctld, slurmd, munged)");
}

async function status(): Promise<number> {
  for (const d of Object.keys(PIDS) as Daemon[]) {
    const pid = await pidOf(d);
    console.log(`${d.padEnd(9)} ${pid ? `running (pid ${pid})` : "not running"}`);
  }
  const info = await run("sinfo", []);
  console.log(info.ok ? info.stdout.trimEnd() : `sinfo: ${info.stderr}`);
  const q = await run("squeue", []);
  if (q.ok) console.log(q.stdout.trimEnd());
  return info.ok ? 0 : 1;
}

/** Entry point; returns the exit status. */
async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({ args, options: {}, allowPositionals: true }, HELP);
  if (!cli) return 0;
  const [action, ...rest] = cli.positionals;
  if (rest.length > 0 || !action) throw new UsageError(`give one action\n\n${HELP}`);
  if (action === "start") await start();
  else if (action === "stop") await stop();
  else if (action === "status") return await status();
  else throw new UsageError(`unknown action "${action}": start, stop or status\n\n${HELP}`);
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args), { exitCode: () => 1 });
