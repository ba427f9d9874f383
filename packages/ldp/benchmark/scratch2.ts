import { seededRng } from '@pinhole/core/testing';
import { ORACLES } from '../src/index.js';
import { bucketInterval } from '../src/hash.js';
const rng = seededRng(1);
const olh = ORACLES.olh({ epsilon: 1, domainSize: 1024, allowInsecureRng: true }) as any;
const reps: any[] = []; for (let i = 0; i < 100000; i++) reps.push(olh.perturb(i % 1024, rng));
const d = 1024, g = olh.g;
function v1(){ const sup = new Int32Array(d); for (const r of reps){ const {lo,width}=bucketInterval(r.y,g); const a=r.a|0; let t=r.b|0; for(let v=0;v<d;v++){ if(((t-lo)>>>0)<width) sup[v]++; t=(t+a)|0;} } return sup;}
function v2(){ const sup = new Int32Array(d); const los=new Int32Array(g), ws=new Int32Array(g); for(let y=0;y<g;y++){const b=bucketInterval(y,g); los[y]=b.lo|0; ws[y]=b.width|0;}
 for (let i=0;i<reps.length;i++){ const r=reps[i]; const lo=los[r.y]!; const w=ws[r.y]!; const a=r.a|0; let t=(r.b-lo)|0; for(let v=0;v<d;v++){ sup[v]+= +((t>>>0)<w) ; t=(t+a)|0;} } return sup;}
function v3(){ const sup = new Int32Array(d); const los=new Int32Array(g), ws=new Int32Array(g); for(let y=0;y<g;y++){const b=bucketInterval(y,g); los[y]=b.lo|0; ws[y]=b.width|0;}
 for (let i=0;i<reps.length;i++){ const r=reps[i]; const lo=los[r.y]!; const w=ws[r.y]!; const a=r.a|0; let t=(r.b-lo)|0; for(let v=0;v<d;v++){ if ((t>>>0)<w) sup[v]++; t=(t+a)|0;} } return sup;}
// v4: shift-based: t in [0,w) unsigned with w<=2^31: use ((t ^ 0x80000000) < (w ^ 0x80000000)) signed compare
function v4(){ const sup = new Int32Array(d); const los=new Int32Array(g), ws=new Int32Array(g); for(let y=0;y<g;y++){const b=bucketInterval(y,g); los[y]=b.lo|0; ws[y]=(b.width-2147483648)|0;}
 for (let i=0;i<reps.length;i++){ const r=reps[i]; const w=ws[r.y]!; const a=r.a|0; let t=((r.b-los[r.y]!)|0)^-2147483648; for(let v=0;v<d;v++){ sup[v]+= (t<w)?1:0; t=(t+a)|0;} } return sup;}
for (const [n,f] of [['v1',v1],['v2',v2],['v3',v3],['v4',v4],['v1',v1],['v2',v2],['v3',v3],['v4',v4]] as const){ const t0=performance.now(); const s=f(); console.log(n,(performance.now()-t0).toFixed(1), s[5]); }
