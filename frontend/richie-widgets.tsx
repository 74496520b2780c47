// The demo catalog's front end: Richie's own widgets, mounted as richie-education's js/index.tsx
// mounts them — every `.richie-react` element of the page, its `data-props`, the locale from
// `<html lang>`, one React root wrapped in Richie's QueryClientProvider and IntlProvider, and
// Richie's `Root` (js/widgets/index.tsx) rendering each widget into its element through a portal.
//
// What index.tsx does that this entry leaves out, and why: the polyfills for browsers without
// Node.append, fetch, Intl.PluralRules or Intl.RelativeTimeFormat (core-js, mdn-polyfills,
// whatwg-fetch, intl-pluralrules, @formatjs/intl-relativetimeformat: the demo is driven by a
// current Chromium), the react-query devtools (a development overlay), the mock service worker
// (off unless MOCK_SERVICE_WORKER_ENABLED) and the i18n-iso-countries locale (used by Joanie's
// address forms only). The demo page mounts two widgets, SyllabusCourseRunsList and UserLogin;
// frontend/build.mjs leaves Richie's other widgets out of the bundle.
import { IntlProvider } from 'react-intl';
import { QueryClientProvider } from '@tanstack/react-query';
import { createRoot } from 'react-dom/client';
import createQueryClient from 'utils/react-query/createQueryClient';
import { Root } from 'widgets';

async function render() {
  const richieReactSpots = Array.prototype.slice.call(document.querySelectorAll('.richie-react'));
  if (!richieReactSpots.length) return;
  const locale = document.querySelector('html')!.getAttribute('lang');
  if (!locale) {
    throw new Error('<html> lang attribute is required to be set with a BCP47/RFC5646 locale.');
  }
  // index.tsx then loads js/translations/<locale>.json; the demo page is en-US (Richie's
  // sandbox LANGUAGE_CODE "en" through rfc_5646_locale), for which Richie ships no file: its
  // default messages are the English ones.
  const rootContainer = document.createElement('div');
  rootContainer.setAttribute('class', 'richie-react richie-react--root');
  document.body.append(rootContainer);
  const queryClient = createQueryClient({ logger: true, persister: true });
  createRoot(rootContainer).render(
    <QueryClientProvider client={queryClient}>
      <IntlProvider locale={locale} defaultLocale="en-US">
        <Root richieReactSpots={richieReactSpots} locale={locale} />
      </IntlProvider>
    </QueryClientProvider>,
  );
}

document.addEventListener('DOMContentLoaded', render);
