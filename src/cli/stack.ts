import { Argument, Option, type Command } from 'commander';
import type { RunResult } from '../commands/run.js';
import { ExitCode } from '../errors.js';
import type { StackEvent } from '../stack/up.js';
import { commandContext } from './context.js';
import { collect, finish, globalOptions, table, type Colors, type GlobalOptions } from './shared.js';

/**
 * Ctrl-C for a command that changes the stack: the first aborts the command's signal (the
 * library stops at its next step, removes what it created and throws "Interrupted."); a
 * second one exits at once. The CLI alone owns signals and exits.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** The stack's progress on stderr, one line per change of a service's state (nothing with --json or --quiet). */
export function stackProgress(g: GlobalOptions): { onEvent?: (event: StackEvent) => void; onImage?: (service: string, text: string) => void } {
  if (g.progress === 'silent') return {};
  const started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  return {
    onEvent: (e) => process.stderr.write(`  ${e.service}: ${e.state} (${at()})\n`),
    onImage: (service, text) => process.stderr.write(`  ${service}: ${text} (${at()})\n`),
  };
}

/** The hosts step alone, as a command that works under sudo (its PATH and environment). */
async function hostsSudoCommand(projectDir: string, hostsFile: string | undefined, allowDomains: readonly string[]): Promise<string> {
  const { sudoCommandLine } = await import('../hosts/sudo.js');
  const { hostsFilePath } = await import('../paths.js');
  const args = ['--project-dir', projectDir, 'hosts', 'add', ...(hostsFile ? ['--hosts-file', hostsFile] : []), ...allowDomains.flatMap((d) => ['--allow-domain', d])];
  return sudoCommandLine({ args, hostsFile: hostsFilePath({ flag: hostsFile }) });
}

const EXIT_CODES = '\nExit codes: 0 up and healthy, 3 bad input, 7 Docker engine unreachable, 8 port taken, 9 a service exited or is unhealthy, 130 interrupted.';

function formatRun(result: RunResult, c: Colors): string {
  const width = Math.max(8, ...result.services.map((s) => s.name.length));
  const lines = result.services.map((s) => `  ${c.green('✔')} ${s.name.padEnd(width)} ${s.state.padEnd(9)} ${s.action === 'keep' ? c.dim('unchanged') : s.action}`);
  lines.push('', `Catalog: ${c.bold(result.urls.catalog)}`, ...(result.urls.lmses ?? [result.urls.lms]).map((url, i) => `${i === 0 ? 'LMS:    ' : '        '} ${c.bold(url)}`), `Backend: ${result.backend} (${result.mode === 'tls' ? 'TLS' : 'HTTP'})`);
  for (const w of result.warnings) lines.push(`${c.yellow('!')} ${w}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  for (const [name, tls] of [
    ['run', false],
    ['run-ssl', true],
  ] as const) {
    const command = program
      .command(name)
      .description(tls ? 'setup-ssl + hosts add + render + the stack over HTTPS (real LMS backend by default)' : 'render + the stack over plain HTTP (fake LMS backend by default)')
      .addOption(new Option('--lms <backend>', `LMS backend (default: ${tls ? 'real' : 'fake'})`).choices(['fake', 'real']))
      .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else ~/.local/share/richie-dev)')
      .option('--hosts-file <path>', 'the hosts file (default: RICHIE_DEV_HOSTS_FILE, else /etc/hosts)')
      .addHelpText('after', EXIT_CODES)
      .action(async function (this: Command) {
        const g = globalOptions(this);
        const opts = this.opts<{ lms?: 'fake' | 'real'; caRoot?: string; hostsFile?: string; allowDomain?: string[] }>();
        const [{ run }, { normalizeAllowedDomains }] = await Promise.all([import('../commands/run.js'), import('../domains.js')]);
        const allowDomains = normalizeAllowedDomains(opts.allowDomain);
        const sudoCommand = await hostsSudoCommand(g.projectDir, opts.hostsFile, allowDomains);
        const result = await interruptible((signal) =>
          run(commandContext({ projectDir: g.projectDir, caRoot: opts.caRoot, signal }), { tls, backend: opts.lms, caRoot: opts.caRoot, hostsFile: opts.hostsFile, allowDomains, progress: g.progress, sudoCommand, signal, ...stackProgress(g) }),
        );
        finish(g, result, (c) => formatRun(result, c));
      });
    // Only run-ssl adds hosts entries (and so needs to be told about names outside local use).
    if (tls) command.option('--allow-domain <domain>', 'allow hosts entries sending this domain, outside those reserved for local use, to this machine (repeatable)', collect, [] as string[]);
  }

  program
    .command('stack')
    .description('the stack file as richie-dev reads it')
    .command('config')
    .description("print the stack resolved (variables, paths, defaults) in Compose's canonical form; --json: the same as JSON")
    .option('--show-secrets', 'print secret values (the course-run sync secret, and variables named *SECRET*, *TOKEN*, *PASSWORD*, *KEY*...) instead of ********')
    .addHelpText('after', '\nSecret values are masked unless --show-secrets is given.\nExit codes: 0 printed, 3 the stack file is invalid (its line and column are named).')
    .action(async function (this: Command, opts: { showSecrets?: boolean }) {
      const g = globalOptions(this);
      const [{ config }, { composeYaml }] = await Promise.all([import('../commands/stack.js'), import('../stack/canonical.js')]);
      const result = await config(commandContext(g), { showSecrets: Boolean(opts.showSecrets) });
      if (!g.json && !g.quiet) for (const w of result.warnings) process.stderr.write(`! ${w}\n`);
      finish(g, result, () => composeYaml(result.config));
    });

  program
    .command('status')
    .description("the stack's services, their health and ports, the URLs, certificate expiry and LMS backend")
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const { status } = await import('../commands/stack.js');
      const result = await status(commandContext(g));
      finish(g, result, (c) =>
        [
          table([['SERVICE', 'STATE', 'HEALTH', 'PORTS', 'IMAGE'].map((h) => c.dim(h)), ...result.services.map((s) => [s.name, s.state, s.health, s.ports.join(', ') || '-', s.image])]),
          '',
          result.urls ? `Catalog: ${result.urls.catalog}\nLMS:     ${(result.urls.lmses ?? [result.urls.lms]).join('\n         ')}` : 'Not rendered yet: run "richie-dev run" or "richie-dev run-ssl".',
          `Backend: ${result.backend ?? '-'}`,
          `Certificate: ${result.certificate ? `valid until ${result.certificate.notAfter.slice(0, 10)} (${result.certificate.daysLeft} days)` : 'none'}`,
        ].join('\n'),
      );
    });

  program
    .command('logs')
    .description("the services' output, each line prefixed with its service")
    .addArgument(new Argument('[service]', 'only this service (catalog, lms, nginx)'))
    .option('-f, --follow', 'keep streaming until Ctrl-C')
    .option('--tail <lines>', 'lines of history per service', '100')
    .action(async function (this: Command, service: string | undefined) {
      const g = globalOptions(this);
      const opts = this.opts<{ follow?: boolean; tail: string }>();
      const { logs } = await import('../commands/stack.js');
      const width = 8;
      // Following ends at Ctrl-C, which is then not an interruption: exit 0.
      await interruptible((signal) =>
        logs(commandContext({ projectDir: g.projectDir, signal }), {
          service,
          follow: Boolean(opts.follow),
          tail: Number(opts.tail),
          signal,
          onLine: (svc, line) => process.stdout.write(g.json ? `${JSON.stringify({ service: svc, line })}\n` : `${svc.padEnd(width)}| ${line}\n`),
        }),
      );
    });

  program
    .command('stop')
    .description('stop the containers, keeping them and their data')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const { stop } = await import('../commands/stack.js');
      const result = await stop(commandContext(g));
      finish(g, result, () => (result.stopped.length ? `Stopped: ${result.stopped.join(', ')}` : 'Nothing was running.'));
    });

  program
    .command('down')
    .description("remove the project's containers and networks (--volumes: also its volumes)")
    .option('--volumes', 'also remove the volumes (enrollments, synced course runs)')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ volumes?: boolean }>();
      const { down } = await import('../commands/stack.js');
      const result = await down(commandContext(g), { volumes: Boolean(opts.volumes) });
      finish(g, result, () => `Removed ${result.containers.length} containers, ${result.networks.length} networks${opts.volumes ? `, ${result.volumes.length} volumes` : ''}.`);
    });
}
