// The measured window of a load run, shared by bench/basic.mjs and bench/pkjwt.mjs:
// - with SERVER_PID, the server's CPU over the window (utime + stime from /proc/<pid>/stat, as
//   % of one core; CLK_TCK, default 100, is the kernel's clock tick);
// - with ATTACKER_PID, tells bench/attacker.mjs where the window starts and ends (SIGUSR1,
//   SIGUSR2), so it counts its requests over the same window.
// Without either, begin() and end() do nothing and end() returns {}.
import fs from 'node:fs';

const SERVER_PID = Number(process.env.SERVER_PID || 0);
const ATTACKER_PID = Number(process.env.ATTACKER_PID || 0);
const CLK_TCK = Number(process.env.CLK_TCK || 100);

/** CPU ticks (user + system) the process `pid` has used so far, all its threads. */
export function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export function window() {
  let t0, c0;
  return {
    begin() {
      if (ATTACKER_PID) process.kill(ATTACKER_PID, 'SIGUSR1');
      t0 = process.hrtime.bigint();
      if (SERVER_PID) c0 = cpuTicks(SERVER_PID);
    },
    end() {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const c1 = SERVER_PID ? cpuTicks(SERVER_PID) : 0;
      if (ATTACKER_PID) process.kill(ATTACKER_PID, 'SIGUSR2');
      if (!SERVER_PID) return {};
      return { window_s: +s.toFixed(2), server_cpu_pct: Math.round(((c1 - c0) / CLK_TCK / s) * 100) };
    },
  };
}
