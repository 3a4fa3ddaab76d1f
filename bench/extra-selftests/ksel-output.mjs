// What one `ksel` run printed (its last line, JSON): the verdict, errno, the verifier's message
// lines (the statistics lines left out) and the statistics line's figures.
export function readKsel(stdout) {
  const k = JSON.parse(stdout.trim().split('\n').pop());
  const message = k.log.filter((l) => !/^(processed \d+ insns|verification time|stack depth)/.test(l));
  const stats = /processed (\d+) insns.*total_states (\d+) peak_states (\d+)/.exec(k.log.find((l) => l.startsWith('processed ')) ?? '');
  return {
    verdict: k.verdict,
    errno: k.errno,
    message,
    ...(stats && { processed: Number(stats[1]), totalStates: Number(stats[2]), peakStates: Number(stats[3]) }),
  };
}
