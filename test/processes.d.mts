/** Whether a process is still running (a zombie counts as ended). */
export function isRunning(pid: number): boolean;
