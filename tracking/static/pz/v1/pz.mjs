/* pz.js as an ES module, for headless fronts and bundlers:
 *   import pz from "/static/pz/v1/pz.mjs";
 *   const { placements } = await pz.decide(["home-hero"], { country: "DE" });
 * It runs the classic script once (same configuration: pz.configure(...) or the defaults)
 * and exports its API. Types: pz.d.ts. The "v1" in the path is the API version: files
 * under it change only compatibly, so they may be cached for long. */
import "./pz.js";

const pz = window.pz;
export default pz;
export const decide = (placements, context) => pz.decide(placements, context);
export const track = (type, properties) => pz.track(type, properties);
export const identify = (identityToken) => pz.identify(identityToken);
export const consent = (choice) => pz.consent(choice);
export const configure = (options) => pz.configure(options);
export const fillSlots = (root) => pz.fillSlots(root);
