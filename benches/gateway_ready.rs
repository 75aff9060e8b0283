//! Gateway ready time with 1 000 operations in 100 modules (target: ≤ 100 µs):
//! gathering the registry and building the lookup tables, no module built.
//! `cargo bench --bench gateway_ready`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

/// One module and its ten operations, in a Rust module of their own.
macro_rules! module {
    ($m:ident, $name:literal) => {
        #[allow(non_snake_case)]
        pub mod $m {
            #[lmms::module(name = $name)]
            pub struct $m(pub u64);

            impl lmms::Init for $m {
                fn init() -> Result<Self, lmms::InitError> {
                    Ok($m(1))
                }
            }

            ops!($m, $name, op0 "op0", op1 "op1", op2 "op2", op3 "op3", op4 "op4",
                 op5 "op5", op6 "op6", op7 "op7", op8 "op8", op9 "op9");
        }
    };
}

macro_rules! ops {
    ($m:ident, $name:literal, $($op:ident $opname:literal),*) => {
        $(
            #[lmms::operation(interface = $name, op = $opname, module = $m)]
            pub fn $op(s: &$m, x: u64) -> u64 {
                s.0 + x
            }
        )*
    };
}

module!(M00, "m00");
module!(M01, "m01");
module!(M02, "m02");
module!(M03, "m03");
module!(M04, "m04");
module!(M05, "m05");
module!(M06, "m06");
module!(M07, "m07");
module!(M08, "m08");
module!(M09, "m09");
module!(M10, "m10");
module!(M11, "m11");
module!(M12, "m12");
module!(M13, "m13");
module!(M14, "m14");
module!(M15, "m15");
module!(M16, "m16");
module!(M17, "m17");
module!(M18, "m18");
module!(M19, "m19");
module!(M20, "m20");
module!(M21, "m21");
module!(M22, "m22");
module!(M23, "m23");
module!(M24, "m24");
module!(M25, "m25");
module!(M26, "m26");
module!(M27, "m27");
module!(M28, "m28");
module!(M29, "m29");
module!(M30, "m30");
module!(M31, "m31");
module!(M32, "m32");
module!(M33, "m33");
module!(M34, "m34");
module!(M35, "m35");
module!(M36, "m36");
module!(M37, "m37");
module!(M38, "m38");
module!(M39, "m39");
module!(M40, "m40");
module!(M41, "m41");
module!(M42, "m42");
module!(M43, "m43");
module!(M44, "m44");
module!(M45, "m45");
module!(M46, "m46");
module!(M47, "m47");
module!(M48, "m48");
module!(M49, "m49");
module!(M50, "m50");
module!(M51, "m51");
module!(M52, "m52");
module!(M53, "m53");
module!(M54, "m54");
module!(M55, "m55");
module!(M56, "m56");
module!(M57, "m57");
module!(M58, "m58");
module!(M59, "m59");
module!(M60, "m60");
module!(M61, "m61");
module!(M62, "m62");
module!(M63, "m63");
module!(M64, "m64");
module!(M65, "m65");
module!(M66, "m66");
module!(M67, "m67");
module!(M68, "m68");
module!(M69, "m69");
module!(M70, "m70");
module!(M71, "m71");
module!(M72, "m72");
module!(M73, "m73");
module!(M74, "m74");
module!(M75, "m75");
module!(M76, "m76");
module!(M77, "m77");
module!(M78, "m78");
module!(M79, "m79");
module!(M80, "m80");
module!(M81, "m81");
module!(M82, "m82");
module!(M83, "m83");
module!(M84, "m84");
module!(M85, "m85");
module!(M86, "m86");
module!(M87, "m87");
module!(M88, "m88");
module!(M89, "m89");
module!(M90, "m90");
module!(M91, "m91");
module!(M92, "m92");
module!(M93, "m93");
module!(M94, "m94");
module!(M95, "m95");
module!(M96, "m96");
module!(M97, "m97");
module!(M98, "m98");
module!(M99, "m99");

fn ready(c: &mut Criterion) {
    let config = lmms::Config::builder().build().unwrap();
    let gw = lmms::gateway();
    assert!(gw.fault().is_none(), "{:?}", gw.fault());
    let (n_ops, n_modules) = (gw.operations().len(), gw.modules().len());
    assert_eq!((n_ops, n_modules), (1000, 100));
    assert_eq!(M42::op7(1).unwrap(), 2);
    eprintln!(
        "registry: {n_ops} operations in {n_modules} modules; first start took {} ns",
        gw.ready_time_ns()
    );
    c.bench_function("gateway_ready_1000_ops_100_modules", |b| {
        b.iter(|| lmms::Gateway::start_detached(config.clone()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = ready
}
criterion_main!(benches);
