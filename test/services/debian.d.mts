/**
 * Installs `packages` with apt-get unless every command in `commands` is on PATH already; true when
 * it installed. Throws with apt's last lines when it cannot.
 */
export function installDebianPackages(packages: string[], commands: string[], timeoutMs?: number): boolean;
