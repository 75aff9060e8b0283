// The runtime's holds on a module value are not reachable from user code: a pin must be
// released in the order it was taken, which only the runtime's scoped calls guarantee.
use lmms::{Init, InitError};

#[lmms::module]
pub struct Weather;

impl Init for Weather {
    fn init() -> Result<Self, InitError> {
        Ok(Weather)
    }
}

fn main() {
    use lmms::__private::v1::{Builder, Module, ModuleCell};
    let cell: &'static ModuleCell<Weather> = Weather::cell();
    let hold = cell.acquire("weather", &Builder::<Weather>::blocking());
    std::mem::forget(hold);
    let _pinned: Option<lmms::__private::v1::Pinned<Weather>> = None;
    let _call: Option<lmms::__private::v1::Call<Weather>> = None;
}
