// Live refresh: each render's context knows whether its route is still the current one
// and polls (a run in progress, a big log still being read) until it is not.

const POLL_MS = 1500;
// while the server reads a big log's rows (`complete: false`), ask again this soon
export const READING_MS = 400;

/** Each render gets a context: is it still the current route (or has the user moved on)? */
let generation = 0;

export function context() {
  const mine = ++generation;
  return {
    alive: () => mine === generation,
    /** Call `fn` while this route is current and `fn` answers true (again in POLL_MS) or
     * a number (again in that many ms); `first`: the wait before the first call. */
    poll(fn, first = POLL_MS) {
      const tick = async () => {
        if (mine !== generation) return;
        let again = false;
        try {
          again = await fn();
        } catch {
          again = true; // a failed poll (a log mid-write) tries again
        }
        if (again && mine === generation) setTimeout(tick, typeof again === "number" ? again : POLL_MS);
      };
      setTimeout(tick, typeof first === "number" ? first : POLL_MS);
    },
  };
}
