import type { Page } from 'playwright-core';
export const ENROLLMENT_TEXTS: [string, string][];
/** A run's marker: a text its block contains, or texts it contains all of. */
export type RunMarker = string | string[];
export function enrollmentText(page: Page, marker?: RunMarker): Promise<string | null>;
export function enrollmentStatus(page: Page, marker?: RunMarker, timeout?: number): Promise<string>;
export function clickEnrollmentButton(page: Page, marker?: RunMarker, timeout?: number): Promise<void>;
export function courseLink(page: Page, marker?: RunMarker): Promise<string | null>;
export function userMenu(page: Page): Promise<string | null>;
export function clickLogIn(page: Page): Promise<void>;
export function asideSection(page: Page, marker: string): Promise<{ classes: string; title: string | null; buttons: number } | null>;
export function listedAsOpen(page: Page, marker: string): Promise<boolean>;
export function openRunDates(page: Page): Promise<string[]>;
