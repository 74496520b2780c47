import type { Page } from 'playwright-core';
export const ENROLLMENT_TEXTS: [string, string][];
export function enrollmentText(page: Page, marker?: string): Promise<string | null>;
export function enrollmentStatus(page: Page, marker?: string, timeout?: number): Promise<string>;
export function clickEnrollmentButton(page: Page, marker?: string): Promise<void>;
export function userMenu(page: Page): Promise<string | null>;
export function clickLogIn(page: Page): Promise<void>;
export function asideSection(page: Page, marker: string): Promise<{ classes: string; title: string | null; buttons: number } | null>;
export function listedAsOpen(page: Page, marker: string): Promise<boolean>;
