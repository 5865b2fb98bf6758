//! Cases S3 to S10: the ad network with the THRESH, POOR and CAMPAIGN
//! queries (paper Section VI), clicks unsealed or sealed on a key.

/// Declares the ad network; `$($query)*` annotates Report's query path,
/// `$($clicks)*` are the options of the `clicks` stream and `$($option)*`
/// those of `#[blazes::dataflow]`.
macro_rules! ad_network {
    ($name:ident, ($($query:tt)*), { $($clicks:tt)* } $(, $($option:tt)*)?) => {
        #[blazes::dataflow($($($option)*)?)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            #[component(rep)]
            pub struct Cache;

            #[component]
            impl Cache {
                #[path(from = request, to = response, label = CR)]
                #[path(from = request, to = request, label = CR)]
                fn request(&mut self, request: Tuple, out: &mut Emit) {
                    out.emit("request", request);
                }

                #[path(from = response, to = response, label = CW)]
                fn response(&mut self, response: Tuple, out: &mut Emit) {
                    out.emit("response", response);
                }
            }

            #[component(rep)]
            pub struct Report;

            #[component]
            impl Report {
                #[path(from = click, to = response, label = CW)]
                fn click(&mut self, _click: Tuple, _out: &mut Emit) {}

                #[path(from = request, to = response, $($query)*)]
                fn request(&mut self, request: Tuple, out: &mut Emit) {
                    out.emit("response", request);
                }
            }

            streams! {
                clicks -> Report.click { $($clicks)* };
                requests -> Cache.request;
                Cache.request -> Report.request;
                Report.response -> Cache.response;
                Cache.response -> Cache.response;
                Cache.response -> answers;
            }
        }
    };
}

ad_network!(thresh, (label = CR), {});
ad_network!(poor, (label = OR, gate = [id]), {}, enforce = false);
ad_network!(poor_seal_campaign, (label = OR, gate = [id]), { seal: [campaign] }, enforce = false);
ad_network!(campaign_sealed, (label = OR, gate = [id, campaign]), { seal: [campaign] });
ad_network!(window_sealed, (label = OR, gate = [id, window]), { seal: [window] });
ad_network!(
    campaign,
    (label = OR, gate = [id, campaign]),
    {},
    enforce = false
);
ad_network!(campaign_seal_window, (label = OR, gate = [id, campaign]), { seal: [window] }, enforce = false);
ad_network!(thresh_sealed, (label = CR), { seal: [campaign] });
