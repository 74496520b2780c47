/**
 * `richie-dev joanie`: what a Joanie checkout of yours (config `joanie.upstream`) needs to work
 * with this project's catalog and LMS, under Joanie's own setting names (render/joanie.ts): how
 * it checks the token Richie sends (the JWT signing key it shares with Fonzie, or Keycloak's
 * realm), the webhook URL and secret the catalog checks, the LMS URL and API key. Secret values
 * are masked unless `showSecrets`, as `stack config` does.
 */
import type { CommandContext } from '../context.js';
import { UserError } from '../errors.js';
import { projectSecrets } from '../lms/secret.js';
import { siteModels } from '../lms/site.js';
import { joanieModel, joanieSettings } from '../render/joanie.js';
import { readState } from '../state.js';

export interface JoanieSettingsResult {
  origin: string;
  upstream: string | null;
  settings: string[];
}

export async function settings(ctx: CommandContext, options: { showSecrets?: boolean }): Promise<JoanieSettingsResult> {
  const config = await ctx.config();
  if (!config.joanie) {
    throw new UserError('This project has no Joanie: richie-dev.config.json has no "joanie" key.', { fix: 'Add "joanie": {} (the demo Joanie) or "joanie": {"upstream": "http://localhost:8071"} (yours); the README shows both.' });
  }
  // The secrets the rendered apps share: printing freshly made ones would name values no app has.
  const { secrets, isNew } = await projectSecrets(ctx.paths);
  if (isNew) throw new UserError('The project has no secrets yet, so there is nothing for Joanie to share.', { fix: 'Render first: richie-dev render (or richie-dev run-ssl).' });
  const state = await readState(ctx.paths);
  const models = await siteModels(config, { tls: state.mode !== 'http', backend: 'real', secret: secrets.courseRunSync });
  const joanie = joanieModel(config, models[0]!)!;
  return { origin: joanie.site.origin, upstream: joanie.upstream ?? null, settings: joanieSettings(joanie, models[0]!, secrets, Boolean(options.showSecrets)) };
}
