// Types of pz.js (window.pz) and its ES module pz.mjs, API version 1.

/** A placement key ("home-hero") or a Wagtail page's block ("block:<page id>:<block id>"). */
export type PlacementKey = string;

/** Request context decide accepts; pz.js fills url, device, local_time, referrer, locale, utm_*. */
export interface DecideContext {
  device?: "desktop" | "mobile" | "tablet" | string;
  country?: string;
  city?: string;
  url?: string;
  referrer?: string;
  local_time?: string;
  locale?: string;
  logged_in?: boolean;
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  product_id?: string;
}

export interface PlacementDecision {
  component: string;
  variant: string;
  /** fallback | default | context | segment:<key> | segments:<a>+<b> | experiment:<key> | trigger | holdout */
  reason: string;
  kind: string;
  html: string;
  data: Record<string, unknown>;
  items?: Array<{ product_id: string; score: number }>;
  experiment?: { key: string; arm: string };
}

export interface DecideResponse {
  visitor_id: string | null;
  visitor_token?: string;
  segments: string[];
  placements: Record<PlacementKey, PlacementDecision | null>;
  personalized: boolean;
  degraded: boolean;
}

export interface ConsentChoice {
  tracking?: boolean;
  personalization?: boolean;
}

export interface PzConfig {
  endpoint: string;
  consentEndpoint: string;
  decideEndpoint: string;
  auto: string;
  respectGpc: boolean;
  consentRequired: boolean;
  identityToken: string;
  fillSlots: boolean;
  antiFlickerMs: number;
}

export interface Pz {
  version: string;
  config: PzConfig;
  /** One decision for up to 20 placements (POST /api/v1/decide). */
  decide(placements: PlacementKey[], context?: DecideContext): Promise<DecideResponse>;
  /** Queue an event (batched); returns its event_id, or null without consent. */
  track(type: string, properties?: Record<string, unknown>): string | null;
  /** Stitch the visitor to a signed-in customer with the shop's identity token. */
  identify(identityToken: string): string | null;
  /** Record the visitor's choice (remembered in the pz_consent cookie). */
  consent(choice: ConsentChoice): boolean;
  /** Change the configuration (endpoints on another origin, a visitor token...). */
  configure(options: Partial<PzConfig> & { visitorToken?: string }): PzConfig;
  /** Fill every [data-pz-slot] below root from one decision (cached pages). */
  fillSlots(root?: ParentNode): Promise<DecideResponse> | null;
  /** Watch placements injected after load for impressions. */
  observePlacements(root?: ParentNode): void;
  flush(): boolean;
  visitorId(): string | null;
  sessionId(): string;
}

declare const pz: Pz;
export default pz;
export declare const decide: Pz["decide"];
export declare const track: Pz["track"];
export declare const identify: Pz["identify"];
export declare const consent: Pz["consent"];
export declare const configure: Pz["configure"];
export declare const fillSlots: Pz["fillSlots"];

declare global {
  interface Window {
    pz: Pz;
  }
}
