/**
 * Making a GPU context: gpu.js in Node runs on headless WebGL (the optional `gl` package, a native
 * build), which needs a display (on a machine without one, `xvfb-run -a` provides it, and Mesa's
 * software renderer runs the real GLSL). When any part is missing, `gpuProblem()` names it; the
 * backend then refuses to compile instead of silently falling back to gpu.js's CPU mode.
 */
import { createRequire } from 'node:module';
import { diagnostic, GradusError } from '@gradus/autodiff';
import type { GPU } from 'gpu.js';

const require = createRequire(import.meta.url);

/** The Debian packages the `gl` build needs, and what provides a display. */
export const GL_BUILD_PACKAGES = 'libxi-dev libxext-dev libx11-dev libglu1-mesa-dev libgl-dev pkg-config';

/** Counts of GL textures created and deleted on the shared context (for leak tests). */
export interface TextureCounter {
  created: number;
  deleted: number;
}

interface Shared {
  readonly gpu: GPU;
  readonly counter: TextureCounter;
  readonly maxTextureSize: number;
}

let problem: string | null | undefined;
let shared: Shared | undefined;

/** The part of a WebGL context this module touches (the repo's TS lib has no DOM types). */
interface GlContext {
  readonly MAX_TEXTURE_SIZE: number;
  getExtension(name: string): unknown;
  getParameter(p: number): unknown;
  createTexture(): unknown;
  deleteTexture(t: unknown): void;
}

type HeadlessGl = (w: number, h: number, opts?: object) => GlContext | null;

function probe(): string | null {
  let createGl: HeadlessGl;
  try {
    createGl = require('gl') as HeadlessGl;
  } catch (e) {
    return (
      'the optional native package `gl` (headless WebGL, needed by gpu.js in Node) is not built: ' +
      `install the Debian packages ${GL_BUILD_PACKAGES}, allow its build script (pnpm-workspace.yaml ` +
      `allowBuilds: gl) and run \`npm_config_nodedir=/usr pnpm install\` (${(e as Error).message.split('\n')[0]})`
    );
  }
  let ctx: GlContext | null = null;
  try {
    ctx = createGl(1, 1);
  } catch {
    ctx = null;
  }
  if (!ctx) {
    return process.env.DISPLAY
      ? `headless WebGL could not open a context on display ${process.env.DISPLAY} (is the X server running?)`
      : 'no display for headless WebGL: run under `xvfb-run -a` (Debian packages xvfb xauth)';
  }
  const hasFloat = ctx.getExtension('OES_texture_float') !== null;
  (ctx.getExtension('STACKGL_destroy_context') as { destroy(): void } | null)?.destroy();
  if (!hasFloat) return 'the WebGL context has no float textures (OES_texture_float)';
  return null;
}

/** What prevents a GPU context, or undefined when one can be made. Probed once per process. */
export function gpuProblem(): string | undefined {
  if (problem === undefined) problem = probe();
  return problem ?? undefined;
}

/** The process's gpu.js instance on headless WebGL (never the CPU fallback); throws when unavailable. */
export function sharedGpu(): Shared {
  if (shared) return shared;
  const why = gpuProblem();
  if (why !== undefined) {
    throw new GradusError(diagnostic('E0430', `the gpu backend cannot run here: ${why}`));
  }
  const { GPU: GpuCtor } = require('gpu.js') as typeof import('gpu.js');
  const createGl = require('gl') as HeadlessGl;
  const context = createGl(2, 2, { preserveDrawingBuffer: true });
  if (!context)
    throw new GradusError(diagnostic('E0430', 'the gpu backend cannot run here: no WebGL context'));
  const counter: TextureCounter = { created: 0, deleted: 0 };
  const create = context.createTexture.bind(context);
  const remove = context.deleteTexture.bind(context);
  context.createTexture = () => {
    counter.created++;
    return create();
  };
  context.deleteTexture = (t) => {
    if (t) counter.deleted++;
    remove(t);
  };
  const gpu = new GpuCtor({ mode: 'headlessgl', context });
  const maxTextureSize = context.getParameter(context.MAX_TEXTURE_SIZE) as number;
  shared = { gpu, counter, maxTextureSize };
  return shared;
}
