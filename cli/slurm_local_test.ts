import assert from "node:assert/strict";
import { CONF_MARKER, PARTITION, slurmConf } from "./slurm_local.ts";

Deno.test("slurm-local: one node from `slurmd -C`, reachable on 127.0.0.1, no cgroups", () => {
  const conf = slurmConf(
    "NodeName=ci-7 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 " +
      "RealMemory=7940 UpTime=0-01:02:03",
  );
  const lines = conf.split("\n");
  assert.equal(lines[0], CONF_MARKER);
  for (
    const l of [
      "SlurmctldHost=ci-7(127.0.0.1)",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "NodeName=ci-7 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 " +
      "RealMemory=7940 NodeAddr=127.0.0.1 State=UNKNOWN",
      `PartitionName=${PARTITION} Nodes=ci-7 Default=YES MaxTime=INFINITE State=UP`,
    ]
  ) assert.ok(lines.includes(l), `missing: ${l}\n${conf}`);
  assert.ok(!conf.includes("UpTime"));
  assert.throws(() => slurmConf("garbage"), /no NodeName line/);
});

Deno.test("slurm-local: bad actions exit 2 with the usage", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./slurm_local.ts", import.meta.url).pathname, "restart"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /unknown action "restart": start, stop or status/,
  );
});
