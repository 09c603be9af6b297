// Marks the work Directus does while serving an MCP call that may write, so the delete tripwire can tell
// those deletes from everyone else's.
//
// AsyncLocalStorage makes Node run a hook on every promise in the process while it is enabled (measured:
// about 0.3 ms on a 3 ms Directus read). So it is used only for calls the core found to be mutating, and
// switched off again once none has run for a while. The grace period covers work a call leaves behind,
// such as non-blocking event flows that finish after the answer has gone.
import { AsyncLocalStorage } from 'node:async_hooks';

const GRACE_MS = 10_000;

export function createRequestContext() {
	const storage = new AsyncLocalStorage();
	let active = 0;
	let idleTimer = null;

	return {
		/** Runs `fn` with `store` as its context; call the returned `done` when the request has finished. */
		run(store, fn) {
			active += 1;
			clearTimeout(idleTimer);
			let finished = false;
			const done = () => {
				if (finished) return;
				finished = true;
				active -= 1;
				if (active === 0) {
					idleTimer = setTimeout(() => storage.disable(), GRACE_MS);
					idleTimer.unref?.();
				}
			};
			storage.run(store, fn);
			return done;
		},
		getStore() {
			return storage.getStore();
		},
	};
}
