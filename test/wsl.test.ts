/**
 * WSL, the browser on Windows: `trust install` also puts the CA into the Windows user's Root
 * store through WSL interop, and `hosts add|remove` also change the Windows hosts file, or print
 * the Windows-side steps.
 *
 * STAND-INS: Windows' certutil.exe and WSL's wslpath cannot run on the Linux machines these
 * tests run on, so small scripts with those names go first on PATH. They log their argv (the
 * test checks exactly what richie-dev asked of Windows), map paths as wslpath does
 * (`\\wsl.localhost\<distro>\...`, and C:\ to a folder of this test), and keep the "Root store"
 * as a file of SHA-1 thumbprints computed with openssl from the file certutil.exe was handed.
 * Everything else is real: the built CLI, the CA, the hosts files (in a private mount
 * namespace whose /etc is a copy).
 */
import { X509Certificate } from 'node:crypto';
import { commandContext } from '../src/cli/context.js';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as setupSsl } from '../src/commands/setup-ssl.js';
import { discoverStores } from '../src/trust/index.js';
import { detectWsl, linuxPathOf, underWsl, windowsPathOf } from '../src/wsl.js';
import { CLI, cli, hasTool, inMountNamespace, isRoot, removeDir, tempDir } from './helpers.js';

const WSLPATH = String.raw`#!/bin/sh
# Stand-in for WSL's wslpath (see the top of wsl.test.ts): logs its argv, maps paths as WSL does.
printf '%s\n' "wslpath $*" >> "$WSL_STANDIN_LOG"
case "$1" in
  -w) printf '\\\\wsl.localhost\\Test%s\n' "$(printf %s "$2" | tr / '\\')" ;;
  -u) [ "$2" = 'C:\Windows\System32\drivers\etc\hosts' ] || exit 1
      echo "$WSL_STANDIN_C/Windows/System32/drivers/etc/hosts" ;;
  *) exit 1 ;;
esac
`;

const CERTUTIL = String.raw`#!/bin/sh
# Stand-in for Windows' certutil.exe (see the top of wsl.test.ts): logs its argv; the current
# user's Root store is a file of SHA-1 thumbprints.
printf '%s\n' "certutil.exe $*" >> "$WSL_STANDIN_LOG"
store="$WSL_STANDIN_STORE"; touch "$store"
[ "$2" = "-user" ] && [ "$3" = "Root" ] || { echo "stand-in: expected <verb> -user Root" >&2; exit 2; }
case "$1" in
  -addstore)
    path=$(printf %s "$4" | sed 's|^\\\\wsl.localhost\\Test||' | tr '\\' /)
    thumb=$(openssl x509 -in "$path" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr A-F a-f) || exit 1
    grep -qx "$thumb" "$store" || echo "$thumb" >> "$store" ;;
  -store) grep -qx "$4" "$store" || { echo "CertUtil: -store command FAILED: 0x80092004 (CRYPT_E_NOT_FOUND)"; exit 1; } ;;
  -delstore) grep -qx "$4" "$store" || exit 1; grep -vx "$4" "$store" > "$store.new"; mv "$store.new" "$store" ;;
  *) exit 2 ;;
esac
`;

describe('detecting WSL', () => {
  it.each([
    [{}, '6.18.44-generic', false],
    [{}, '5.15.167.4-microsoft-standard-WSL2', true],
    [{}, '4.4.0-19041-Microsoft', true],
    [{ WSL_DISTRO_NAME: 'Debian' }, '6.1.0', true],
    [{ WSL_INTEROP: '/run/WSL/1_interop' }, '6.1.0', true],
    [{ RICHIE_DEV_WSL: '0', WSL_DISTRO_NAME: 'Debian' }, '5.15.167.4-microsoft-standard-WSL2', false],
    [{ RICHIE_DEV_WSL: '1' }, '6.1.0', true],
  ])('env %j, kernel %s: %s', (env, release, expected) => {
    expect(detectWsl(env, () => release)).toBe(expected);
  });

  it("this process's RICHIE_DEV_WSL=0 (the tests' setup) holds for an env that does not set it", () => {
    expect(process.env.RICHIE_DEV_WSL).toBe('0');
    expect(underWsl({ WSL_DISTRO_NAME: 'Debian' })).toBe(false);
    expect(underWsl({ WSL_DISTRO_NAME: 'Debian', RICHIE_DEV_WSL: '1' })).toBe(true);
  });

  it('the Windows store is offered under WSL only, and TRUST_STORES chooses it like the others', async () => {
    const ids = async (env: NodeJS.ProcessEnv, wsl: boolean) => (await discoverStores({ HOME: '/nonexistent', ...env }, 'linux', wsl)).map((s) => s.id);
    expect(await ids({ TRUST_STORES: 'windows' }, false)).toEqual([]);
    expect(await ids({ TRUST_STORES: 'windows' }, true)).toEqual(['wsl:windows']);
    expect(await ids({ TRUST_STORES: 'nss' }, true)).not.toContain('wsl:windows');
    expect(await ids({}, true)).toContain('wsl:windows');
  });
});

describe('WSL: the Windows side, with stand-ins for the Windows programs', () => {
  const root = tempDir();
  const standins = join(root, 'bin');
  const onlyWslpath = join(root, 'bin-no-certutil');
  const log = join(root, 'argv.log');
  const store = join(root, 'windows-root-store');
  const home = join(root, 'home');
  const caRoot = join(root, 'ca');
  const projectDir = join(root, 'project');
  const wslEnv = (bin: string) => ({
    CAROOT: caRoot,
    HOME: home,
    PATH: `${bin}:${process.env.PATH}`,
    WSL_DISTRO_NAME: 'Test',
    RICHIE_DEV_WSL: undefined,
    WSL_STANDIN_LOG: log,
    WSL_STANDIN_STORE: store,
    WSL_STANDIN_C: join(root, 'c'),
  });
  const argv = () => readFileSync(log, 'utf8').trim().split('\n');
  let thumbprint = '';

  beforeAll(async () => {
    expect(hasTool('openssl')).toBe(true);
    mkdirSync(standins, { recursive: true });
    mkdirSync(onlyWslpath, { recursive: true });
    mkdirSync(projectDir);
    for (const [dir, name, text] of [[standins, 'wslpath', WSLPATH], [standins, 'certutil.exe', CERTUTIL], [onlyWslpath, 'wslpath', WSLPATH]] as const) {
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), 0o755);
    }
    writeFileSync(log, '');
    await setupSsl(commandContext({ projectDir, env: { CAROOT: caRoot, HOME: home, TRUST_STORES: 'nss' } }));
    thumbprint = new X509Certificate(readFileSync(join(caRoot, 'rootCA.pem'))).fingerprint.replaceAll(':', '').toLowerCase();
  });
  afterAll(() => removeDir(root));

  it('paths go through wslpath; without it, the UNC form from WSL_DISTRO_NAME and the default mount', () => {
    const env = wslEnv(standins);
    expect(windowsPathOf('/home/u/ca/rootCA.pem', env)).toBe('\\\\wsl.localhost\\Test\\home\\u\\ca\\rootCA.pem');
    expect(linuxPathOf('C:\\Windows\\System32\\drivers\\etc\\hosts', env)).toBe(join(root, 'c', 'Windows/System32/drivers/etc/hosts'));
    const none = { ...env, PATH: '/nonexistent' };
    expect(windowsPathOf('/home/u/ca/rootCA.pem', none)).toBe('\\\\wsl.localhost\\Test\\home\\u\\ca\\rootCA.pem');
    expect(linuxPathOf('C:\\Windows\\System32\\drivers\\etc\\hosts', none)).toBe('/mnt/c/Windows/System32/drivers/etc/hosts');
  });

  it('trust install puts the CA into the Windows user\'s Root store with certutil.exe -addstore -user Root <Windows path>; status and uninstall by thumbprint', async () => {
    const env = { ...wslEnv(standins), TRUST_STORES: 'windows' };
    writeFileSync(log, '');
    const before = await cli(['--project-dir', projectDir, 'trust', 'status'], { env });
    expect(before.exitCode, before.stdout + before.stderr).toBe(5);
    expect(before.stdout).toContain("Windows, current user's Root store (through WSL): not trusted");

    const install = await cli(['--project-dir', projectDir, '--json', 'trust', 'install'], { env });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    expect(JSON.parse(install.stdout).stores).toMatchObject([{ id: 'wsl:windows', kind: 'windows', before: 'not-trusted', after: 'trusted', action: 'installed' }]);
    const added = argv().filter((l) => l.startsWith('certutil.exe -addstore'));
    // A Windows path, as wslpath gives it, of the checked copy richie-dev wrote (src/trust/handoff.ts), never rootCA.pem.
    expect(added).toEqual([expect.stringMatching(/^certutil\.exe -addstore -user Root \\\\wsl\.localhost\\Test\\.+\\richie-dev_[0-9a-f]{64}\.crt$/)]);
    expect(argv()).toContainEqual(expect.stringMatching(/^wslpath -w \/.+\/richie-dev_[0-9a-f]{64}\.crt$/));
    expect(readFileSync(store, 'utf8')).toBe(`${thumbprint}\n`);

    const status = await cli(['--project-dir', projectDir, 'trust', 'status'], { env });
    expect(status.exitCode).toBe(0);
    expect(argv()).toContain(`certutil.exe -store -user Root ${thumbprint}`);

    const uninstall = await cli(['--project-dir', projectDir, '--json', 'trust', 'uninstall'], { env });
    expect(JSON.parse(uninstall.stdout).stores[0]).toMatchObject({ action: 'uninstalled', after: 'not-trusted' });
    expect(argv()).toContain(`certutil.exe -delstore -user Root ${thumbprint}`);
    expect(readFileSync(store, 'utf8')).toBe('');
  });

  it('without a reachable certutil.exe, trust install prints the Windows-side command and changes nothing', async () => {
    const env = { ...wslEnv(onlyWslpath), TRUST_STORES: 'windows' };
    writeFileSync(log, '');
    writeFileSync(store, '');
    const result = await cli(['--project-dir', projectDir, 'trust', 'install'], { env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("Windows' certutil.exe cannot be run from WSL here");
    expect(result.stdout).toContain('In Windows, run the command listed for this store from PowerShell or cmd');
    expect(result.stdout).toMatch(/certutil\.exe -addstore -user Root '?\\\\wsl\.localhost\\Test\\.+\\richie-dev_[0-9a-f]{64}\.crt/);
    expect(argv().some((l) => l.startsWith('certutil.exe'))).toBe(false);
    expect(readFileSync(store, 'utf8')).toBe('');
  });

  it('not under WSL: no Windows store, no Windows program run', async () => {
    writeFileSync(log, '');
    const result = await cli(['--project-dir', projectDir, '--json', 'trust', 'install'], { env: { ...wslEnv(standins), WSL_DISTRO_NAME: undefined, RICHIE_DEV_WSL: '0', TRUST_STORES: 'windows' } });
    expect(JSON.parse(result.stdout).stores).toEqual([]);
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  describe('hosts add|remove also change the Windows hosts file (private mount namespace, /etc a copy)', () => {
    const windowsOriginal = '# Copyright (c) 1993-2009 Microsoft Corp.\r\n127.0.0.1 localhost\r\n';
    const linuxOriginal = '127.0.0.1\tlocalhost\n';

    function inNamespace(name: string, body: string, windowsMode = 0o644) {
      const base = join(root, name);
      const winEtc = join(base, 'c', 'Windows', 'System32', 'drivers', 'etc');
      mkdirSync(winEtc, { recursive: true });
      mkdirSync(join(base, 'project'));
      writeFileSync(join(winEtc, 'hosts'), windowsOriginal);
      chmodSync(join(winEtc, 'hosts'), windowsMode);
      writeFileSync(join(base, 'hosts.original'), linuxOriginal);
      return {
        base,
        windowsHosts: join(winEtc, 'hosts'),
        result: inMountNamespace(
          `
          cd "${base}"
          cp -a /etc etc
          rm -rf etc/*richie-dev* etc/.*richie-dev*
          cp hosts.original etc/hosts
          mount --bind etc /etc
          rd() { node "${CLI}" --project-dir "${base}/project" "$@"; }
          ${body}
          `,
          { ...wslEnv(standins), WSL_STANDIN_C: join(base, 'c') },
        ),
      };
    }

    it('add writes the block into both files (CRLF kept on Windows); remove gives both back byte for byte', async () => {
      expect(isRoot).toBe(true);
      expect(hasTool('unshare')).toBe(true);
      const { base, windowsHosts, result } = inNamespace(
        'hosts-both',
        `
        rd --json hosts add > add.json
        cp /etc/hosts linux-added
        rd hosts remove > remove.txt
        cp /etc/hosts linux-final
        `,
      );
      const done = await result;
      expect(done.exitCode, done.stderr).toBe(0);
      const add = JSON.parse(readFileSync(join(base, 'add.json'), 'utf8'));
      expect(add).toMatchObject({ ok: true, file: '/etc/hosts', action: 'added', windows: { file: windowsHosts, change: { action: 'added', changed: true } } });
      expect(readFileSync(join(base, 'linux-added'), 'utf8')).toContain('127.0.0.1\trichie.local.dev');
      expect(readFileSync(join(base, 'remove.txt'), 'utf8')).toContain(`${windowsHosts}: block removed (Windows, for its browsers)`);
      expect(readFileSync(join(base, 'linux-final'), 'utf8')).toBe(linuxOriginal);
      expect(readFileSync(windowsHosts, 'utf8')).toBe(windowsOriginal);
    });

    it('the Windows file kept CRLF while the block was in it', async () => {
      const { windowsHosts, result } = inNamespace('hosts-crlf', 'rd hosts add > /dev/null');
      expect((await result).exitCode).toBe(0);
      const text = readFileSync(windowsHosts, 'utf8');
      expect(text.startsWith(windowsOriginal)).toBe(true);
      expect(text).toContain('127.0.0.1\trichie.local.dev\r\n');
      expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    });

    it('a Windows hosts file it may not write: the Linux side is done, the Windows steps are printed, exit 4', async () => {
      const { base, windowsHosts, result } = inNamespace('hosts-denied', 'rd hosts add > add.txt || echo "add-exit=$?"', 0o444);
      const done = await result;
      expect(done.exitCode, done.stderr).toBe(0);
      expect(done.stdout).toContain('add-exit=4');
      const out = readFileSync(join(base, 'add.txt'), 'utf8');
      expect(out).toContain('/etc/hosts: block added');
      expect(out).toContain(`Windows hosts file ${windowsHosts} (for browsers on Windows): not changed: Windows lets only an Administrator change it`);
      expect(out).toContain(`from a WSL shell started with "Run as administrator": richie-dev --project-dir ${base}/project hosts add --hosts-file ${windowsHosts}`);
      expect(out).toContain(`hosts add --print" to C:\\Windows\\System32\\drivers\\etc\\hosts`);
      expect(readFileSync(windowsHosts, 'utf8')).toBe(windowsOriginal);
    });

    it('an explicit --hosts-file is the only file changed', async () => {
      const { base, windowsHosts, result } = inNamespace('hosts-explicit', 'cp hosts.original mine; rd --json hosts add --hosts-file "$PWD/mine" > add.json');
      expect((await result).exitCode).toBe(0);
      expect(JSON.parse(readFileSync(join(base, 'add.json'), 'utf8')).windows).toBeUndefined();
      expect(readFileSync(windowsHosts, 'utf8')).toBe(windowsOriginal);
    });
  });
});
